import RelayIRC

/// The decisions of `relay connect` in scriptable mode (`--send`, piped stdin,
/// `--stay`), with no sockets: events in, steps out.
///
/// Phases: connecting → registered (texts sent, or stdin read) → confirming (a
/// PING behind the last message; its PONG proves the server processed
/// everything) → done. A refused send fails the run (exit 1) naming the numeric;
/// with `--no-join`, a 404 instead means join, send again, part. A `--stay`
/// logger whose own work is done reconnects after a lost connection or a server
/// restart; a refusal (password, ban, nick) ends any run with its exit status.
public final class ScriptPolicy {
    public struct Options: Sendable {
        public var readStdin = false
        public var hasTexts = false
        public var noJoin = false
        public var stay = false

        public init(readStdin: Bool = false, hasTexts: Bool = false, noJoin: Bool = false, stay: Bool = false) {
            self.readStdin = readStdin
            self.hasTexts = hasTexts
            self.noJoin = noJoin
            self.stay = stay
        }
    }

    public enum Step: Equatable, Sendable {
        /// Send the `--send` texts (once, whatever reconnects follow).
        case sendTexts
        case readStdin
        /// Queue a confirmation PING and report its token with `confirmationQueued`.
        case confirm
        /// A room refused a message from outside: join it, send these again, part.
        case retryWithJoin(room: String, texts: [String])
        /// Say why on stderr (when there is a reason) and end with this status.
        case finish(status: Int32, reason: String?)
        /// Close the connection; its end brings `disconnected`, which reconnects.
        case close(note: String)
        case reconnect(reason: String)
        /// Already finishing: stop waiting now.
        case stopNow
    }

    public let options: Options
    private var textsSent = false
    private var stdinDone: Bool
    private var linesSent = 0
    /// The confirmation PING whose PONG is awaited.
    public private(set) var awaitingToken: String?
    private var failures: [String] = []
    private var sentWithoutJoin: [String: (room: String, texts: [String])] = [:]
    private var fallbackRooms: [String] = []
    public private(set) var finished = false

    public init(options: Options) {
        self.options = options
        self.stdinDone = !options.readStdin
    }

    /// A logger (--stay) whose own work is done reconnects, unless lines of its
    /// own may have been lost unconfirmed.
    public var mayReconnect: Bool {
        options.stay && stdinDone && failures.isEmpty && !finished && (awaitingToken == nil || linesSent == 0)
    }

    // MARK: Events

    public func registered() -> [Step] {
        // After a reconnect (--stay) the work is done already: just keep logging.
        guard !textsSent, !finished else { return [] }
        textsSent = true
        var steps: [Step] = options.hasTexts ? [.sendTexts] : []
        steps.append(options.readStdin ? .readStdin : .confirm)
        return steps
    }

    /// One text went to `rooms`.
    public func sent(_ text: String, to rooms: [String]) {
        linesSent += 1
        guard options.noJoin else { return }
        for room in rooms { sentWithoutJoin[Casemapping.fold(room), default: (room, [])].texts.append(text) }
    }

    public func stdinEnded() -> [Step] {
        stdinDone = true
        return [.confirm]
    }

    public func confirmationQueued(token: String) {
        awaitingToken = token
    }

    /// A line of input could not be sent (too long): the run fails at the end.
    public func inputRefused(_ reason: String) {
        failures.append(reason)
    }

    public func refused(code: String, subject: String?, text: String) {
        if code == "404", options.noJoin, let room = subject, sentWithoutJoin[Casemapping.fold(room)] != nil {
            // Messages from outside refused: join, send, part (once per room, however many were refused).
            if !fallbackRooms.contains(where: { Casemapping.equal($0, room) }) { fallbackRooms.append(room) }
            return
        }
        failures.append("\(subject.map { "\($0): " } ?? "")\(code) \(text)")
    }

    public func confirmed(token: String) -> [Step] {
        guard token == awaitingToken else { return [] }
        awaitingToken = nil
        if !fallbackRooms.isEmpty && failures.isEmpty {
            let retry = fallbackRooms.compactMap { sentWithoutJoin.removeValue(forKey: Casemapping.fold($0)) }
            fallbackRooms.removeAll()
            return retry.map { .retryWithJoin(room: $0.room, texts: $0.texts) } + [.confirm]
        }
        if !failures.isEmpty { return finish(ExitStatus.failure, failures.joined(separator: "; ")) }
        return options.stay ? [] : finish(ExitStatus.success, nil)
    }

    /// The session gave up on the connection; `address` names the server.
    public func failed(_ failure: SessionFailure, address: String) -> [Step] {
        if !failure.isRefusal && mayReconnect { return [.close(note: "\(address): \(failure)")] }
        return finish(failure.exitStatus, "\(address): \(failure)")
    }

    /// The connection is gone (or never came up); `reason` is one line.
    public func disconnected(reason: String, address: String) -> [Step] {
        if finished { return [.stopNow] }
        if mayReconnect {
            awaitingToken = nil
            return [.reconnect(reason: reason)]
        }
        let named = ["connect ", "resolve ", "tls ", address].contains { reason.hasPrefix($0) }
        return finish(ExitStatus.failure, named ? reason : "\(address): \(reason)") + [.stopNow]
    }

    public func timedOut(_ what: String) -> [Step] {
        finish(ExitStatus.failure, what)
    }

    /// SIGINT, SIGTERM or SIGHUP.
    public func interrupted() -> [Step] {
        if finished { return [.stopNow] }
        if options.stay && stdinDone && failures.isEmpty { return finish(ExitStatus.success, nil) }
        return finish(ExitStatus.failure, "interrupted")
    }

    private func finish(_ status: Int32, _ reason: String?) -> [Step] {
        guard !finished else { return [] }
        finished = true
        return [.finish(status: status, reason: reason)]
    }
}
