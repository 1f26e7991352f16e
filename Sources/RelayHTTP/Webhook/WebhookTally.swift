/// One webhook request's lines on their way, and the HTTP answer their
/// replies make. The replies are the announce queue's (`ok`, `error REASON`,
/// `queued: ...`): a webhook is one more writer of announce lines.
///
/// Without `wait`, the answer is given once every line is accepted for
/// sending (202), or at once when one is refused before it is sent. With
/// `wait`, it waits for every line's confirmation (200) or the first error.
public struct WebhookTally: Equatable, Sendable {
    public let room: String
    public let lines: Int
    public let wait: Bool
    private var confirmed = 0
    private var submitted = 0
    public private(set) var answered = false
    /// Every line has its final reply (ok or error): nothing more will come.
    public var isSettled: Bool { confirmed + errors.count >= lines }
    /// Errors that came after the answer was given: said on stderr, never lost silently.
    public private(set) var errors: [String] = []

    public init(room: String, lines: Int, wait: Bool) {
        self.room = room
        self.lines = lines
        self.wait = wait
    }

    /// One line was handed to the queue (its immediate replies already counted).
    public mutating func submittedOne() -> HTTPResponse? {
        submitted += 1
        guard !answered, !wait, submitted == lines else { return nil }
        answered = true
        return HTTPResponse(202, "queued \(lines) line\(lines == 1 ? "" : "s") for \(room)")
    }

    /// A reply for one of its lines; the answer, the first time there is one.
    public mutating func reply(_ text: String) -> HTTPResponse? {
        if text.hasPrefix("queued") { return nil }  // news, not an answer
        if text == "ok" {
            confirmed += 1
            guard !answered, confirmed == lines else { return nil }
            answered = true
            return HTTPResponse(200, "delivered \(lines) line\(lines == 1 ? "" : "s") to \(room)")
        }
        let reason = text.hasPrefix("error ") ? String(text.dropFirst(6)) : text
        errors.append(reason)
        guard !answered else { return nil }
        answered = true
        return Self.failure(reason)
    }

    /// `wait` ran out of time with lines sent and unconfirmed: they may still arrive.
    public mutating func timedOut(after seconds: Int64) -> HTTPResponse? {
        guard !answered else { return nil }
        answered = true
        return HTTPResponse(202, "queued: \(confirmed) of \(lines) line\(lines == 1 ? "" : "s") confirmed within \(seconds) s; the rest are sent and not confirmed yet")
    }

    /// An announce error as an HTTP status.
    static func failure(_ reason: String) -> HTTPResponse {
        if reason.hasPrefix("busy") { return HTTPResponse(503, reason, headers: [("Retry-After", "5")]) }
        if reason.hasPrefix("the server was not reachable") { return HTTPResponse(504, reason) }
        if reason.hasPrefix("expected ") { return HTTPResponse(400, reason) }
        // The IRC server refused the line (a numeric), or the connection was lost before it confirmed it.
        return HTTPResponse(502, reason)
    }
}
