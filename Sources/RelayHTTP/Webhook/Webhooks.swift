import RelayClient
import RelayIRC

/// What a payload says in chat: lines, or nothing worth saying (a GitHub
/// `ping`, a labelled pull request), with why.
enum WebhookLines: Equatable {
    case say([String])
    case ignored(String)
}

/// The webhook listener's policy, without sockets: a request in, an answer or
/// lines to say out. Routes:
///
///     POST /send/ROOM        text (a line each), {"text": ...}, or a GitHub,
///                            GitLab, Alertmanager or Grafana payload (by its headers or shape)
///     POST /send             {"room": "#ops", "text": "..."}
///     POST /hook/NAME/ROOM   JSON through --http-template NAME
///     GET  /                 what the listener is (a health check)
///
/// `?wait=1` holds the answer until the server confirmed every line (200),
/// else the answer is 202 once the lines are queued.
public struct Webhooks: Sendable {
    public struct Config: Sendable {
        /// `Authorization: Bearer TOKEN` (GitLab sends it as `X-Gitlab-Token`).
        public var token: String?
        /// HMAC-SHA256 key for `X-Hub-Signature-256: sha256=HEX` (GitHub, and anyone signing the same way).
        public var secret: String?
        public var templates: [WebhookTemplate] = []
        /// Lines one request may say; more become "… (N more lines)".
        public var maxLines = 10

        public init() {}
    }

    public enum Decision: Equatable, Sendable {
        case answer(HTTPResponse)
        /// Say each line in its room; answer once queued (or, with `wait`, once confirmed).
        case post(room: String, lines: [String], wait: Bool)
    }

    public let config: Config
    private let hmac: @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8]

    public init(config: Config, hmacSHA256: @escaping @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8]) {
        self.config = config
        self.hmac = hmacSHA256
    }

    public func decide(_ request: HTTPRequest) -> Decision {
        guard let parts = request.pathParts else { return .answer(HTTPResponse(400, "the path does not decode")) }
        if parts.isEmpty && (request.method == "GET" || request.method == "HEAD") {
            return .answer(HTTPResponse(200, "relay webhook listener: POST text or JSON to /send/ROOM"))
        }
        guard ["send", "hook"].contains(parts.first ?? "") else { return .answer(HTTPResponse(404, "unknown path; POST to /send/ROOM")) }
        guard request.method == "POST" else {
            return .answer(HTTPResponse(405, "use POST", headers: [("Allow", "POST")]))
        }
        if let refusal = authenticate(request) { return .answer(refusal) }

        var room: String?
        var lines: WebhookLines
        if parts[0] == "hook" {
            guard parts.count == 3 else { return .answer(HTTPResponse(404, "expected /hook/TEMPLATE/ROOM")) }
            guard let template = config.templates.first(where: { $0.name == parts[1] }) else {
                return .answer(HTTPResponse(404, "no template named \(parts[1]) (--http-template \(parts[1])=...)"))
            }
            guard case .json(let payload) = Self.body(request) else { return .answer(HTTPResponse(400, "a template needs a JSON body")) }
            room = parts[2]
            lines = .say([template.render(payload)])
        } else {
            guard parts.count <= 2 else { return .answer(HTTPResponse(404, "expected /send/ROOM")) }
            room = parts.count == 2 ? parts[1] : nil
            switch Self.body(request) {
            case .invalid(let why):
                return .answer(HTTPResponse(400, why))
            case .text(let text):
                lines = .say(text.split(whereSeparator: \.isNewline).map(String.init))
            case .json(let payload):
                if let event = request.header("x-github-event") {
                    lines = GitHubEvents.lines(event: event, payload)
                } else if let event = request.header("x-gitlab-event") {
                    lines = GitLabEvents.lines(event: event, payload)
                } else if AlertEvents.isAlertmanager(payload) || AlertEvents.isLegacyGrafana(payload) {
                    lines = AlertEvents.lines(payload)
                } else if let text = payload[path: "text"]?.text {
                    room = room ?? payload[path: "room"]?.text
                    lines = .say(text.split(whereSeparator: \.isNewline).map(String.init))
                } else {
                    return .answer(HTTPResponse(422, "a JSON body needs \"text\" (or is a GitHub, GitLab, Alertmanager or Grafana payload)"))
                }
            }
        }
        guard let room else { return .answer(HTTPResponse(404, "no room: POST to /send/ROOM, or give \"room\" in the JSON")) }
        let target = ClientTarget.roomName(room)
        guard Names.isValidChannel(target, maxLength: 200) else { return .answer(HTTPResponse(400, "\(target) is not a room name")) }
        switch lines {
        case .ignored(let why):
            return .answer(HTTPResponse(200, "ignored: \(why)"))
        case .say(let said):
            let clean = said.map { TextScrub.oneLine($0) }.filter { $0.contains { $0 != " " } }
            guard !clean.isEmpty else { return .answer(HTTPResponse(400, "nothing to say: the text is empty")) }
            return .post(room: target, lines: Self.capped(clean, at: config.maxLines), wait: ["1", "true", "yes"].contains(request.query["wait"] ?? ""))
        }
    }

    /// At most `limit` lines, the last one saying how many more there were.
    static func capped(_ lines: [String], at limit: Int) -> [String] {
        guard lines.count > limit else { return lines }
        return Array(lines.prefix(limit - 1)) + ["… (\(lines.count - limit + 1) more lines)"]
    }

    // MARK: Authentication

    /// nil when the request may pass: no credential is configured, or one
    /// configured credential matches.
    func authenticate(_ request: HTTPRequest) -> HTTPResponse? {
        guard config.token != nil || config.secret != nil else { return nil }
        if let token = config.token {
            let bearer = request.header("authorization").flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingSpaces : nil
            }
            for offered in [bearer, request.header("x-gitlab-token")].compactMap({ $0 })
            where Self.constantTimeEqual(Array(offered.utf8), Array(token.utf8)) {
                return nil
            }
        }
        if let secret = config.secret, let signature = request.header("x-hub-signature-256") {
            let expected = "sha256=" + hmac(Array(secret.utf8), request.body).map { Self.hex($0) }.joined()
            if Self.constantTimeEqual(Array(signature.lowercased().utf8), Array(expected.utf8)) { return nil }
            return HTTPResponse(401, "the signature (X-Hub-Signature-256) does not match the body")
        }
        return HTTPResponse(401, config.token != nil ? "missing or wrong token (Authorization: Bearer TOKEN)"
                                                     : "missing signature (X-Hub-Signature-256)",
                            headers: config.token != nil ? [("WWW-Authenticate", "Bearer")] : [])
    }

    /// Equal bytes, compared in a time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    // MARK: Bodies

    enum Body: Equatable {
        case text(String)
        case json(JSONValue)
        case invalid(String)
    }

    /// JSON when the content type says so (or the body starts with "{"), else text; either must be UTF-8.
    static func body(_ request: HTTPRequest) -> Body {
        guard let text = String(validating: request.body, as: UTF8.self) else { return .invalid("the body is not UTF-8") }
        let type = request.header("content-type")?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded"), text.hasPrefix("payload=") {
            // GitHub's other content type: the JSON is the form's one field.
            // Newlines allowed: the JSON may have them.
            guard let bytes = PercentDecoding.bytes(text.dropFirst(8), plusIsSpace: true),
                  let json = String(validating: bytes, as: UTF8.self) else { return .invalid("the form does not decode") }
            return parse(json)
        }
        if type.contains("json") || text.first == "{" { return parse(text) }
        return .text(text)
    }

    private static func parse(_ text: String) -> Body {
        do {
            return .json(try JSONValue.parse(text))
        } catch {
            return .invalid("the JSON does not parse: \(error)")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
