/// A line of chat someone sent us or a room we are in.
public struct ChatLine: Equatable, Sendable {
    public enum Kind: String, Sendable { case message, action, notice }
    /// The room, or nil for a private message.
    public var room: String?
    public var nick: String
    public var text: String
    public var kind: Kind
    /// The sender's host (from `nick!user@host`), for rate limits that a nick
    /// change must not escape; not part of what the line says, so not of equality.
    public var host: String?
    /// IRCv3, where the server offers them (none is part of equality): when it
    /// was said (server-time, milliseconds since 1970), its msgid, the
    /// sender's account (account-tag), and whether it is history played back
    /// (a chathistory batch) rather than said now.
    public var time: Int64?
    public var msgid: String?
    public var account: String?
    public var isHistory = false

    public init(room: String?, nick: String, text: String, kind: Kind, host: String? = nil) {
        self.room = room
        self.nick = nick
        self.text = text
        self.kind = kind
        self.host = host
    }

    public static func == (a: ChatLine, b: ChatLine) -> Bool {
        a.room == b.room && a.nick == b.nick && a.text == b.text && a.kind == b.kind
    }
}

/// Why a session cannot go on.
public enum SessionFailure: Equatable, Sendable, CustomStringConvertible {
    /// 464, or an ERROR before registration that names the password.
    case passwordRefused
    /// 465, or an ERROR before registration that names a ban or a K-line.
    case banned(String)
    case nickUnavailable(String)
    case closedByServer(String)
    case timedOut(String)
    /// SASL or NickServ refused the login, or the server refused our TLS certificate.
    case authenticationFailed(String)

    public var description: String {
        switch self {
        case .passwordRefused: return "the server refused the password"
        case .banned(let text): return "the server refused the connection: \(text)"
        case .nickUnavailable(let why): return why
        case .closedByServer(let text): return "the server closed the connection: \(text)"
        case .timedOut(let what): return what
        case .authenticationFailed(let why): return why
        }
    }

    /// The server refused us: connecting again would be refused again (and
    /// hammering a server that bans us makes things worse). A server shutting
    /// down or a network failure is worth a reconnect; these are not.
    public var isRefusal: Bool {
        switch self {
        case .passwordRefused, .banned, .nickUnavailable, .authenticationFailed: return true
        case .closedByServer, .timedOut: return false
        }
    }

    /// The exit status that reports it: 3 when we were refused entry, else 1.
    public var exitStatus: Int32 {
        switch self {
        case .passwordRefused, .banned, .authenticationFailed: return ExitStatus.authentication
        default: return ExitStatus.failure
        }
    }

    /// What an ERROR sent before registration means: servers such as ngircd refuse a
    /// bad password or a banned host with only `ERROR :Access denied: Bad password?`.
    static func fromError(_ text: String, registered: Bool) -> SessionFailure {
        guard !registered else { return .closedByServer(text) }
        let lower = text.lowercased()
        if lower.contains("password") { return .passwordRefused }
        for word in ["banned", "k-line", "k-lined", "g-line", "g-lined", "z-line", "z-lined", "kline", "gline",
                     "access denied", "not authorized", "unauthorized"] where lower.contains(word) {
            return .banned(text)
        }
        return .closedByServer(text)
    }
}

/// The exit codes DESIGN.md documents for `connect` and `bridge`.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Unreachable, not confirmed, timed out, or a send the server refused.
    public static let failure: Int32 = 1
    /// Bad flags or URL.
    public static let usage: Int32 = 2
    /// The server refused us entry: a password, a ban, a failed SASL or NickServ login.
    public static let authentication: Int32 = 3
}

/// What a session tells its host, in the order it happened.
public enum ClientEvent: Equatable, Sendable {
    case registered(nick: String)
    /// Our nick was taken during registration; trying `next`.
    case nickInUse(String, next: String)
    case joined(room: String)
    case chat(ChatLine)
    case join(room: String, nick: String)
    case part(room: String, nick: String, reason: String?)
    /// `rooms`: the rooms of ours the nick was in (for a bridge to tell them).
    case quit(nick: String, reason: String, rooms: [String] = [])
    case nick(old: String, new: String, rooms: [String] = [])
    case topic(room: String, nick: String?, text: String)
    case kick(room: String, nick: String, by: String, reason: String)
    case names(room: String, nicks: [String])
    /// away-notify: `nick` went away (with a message) or came back (nil).
    case away(nick: String, text: String?)
    /// echo-message: a message of ours came back, so the server has it (a
    /// bridge counts what reached each side by these; others ignore them).
    case echo(ChatLine)
    /// A numeric error the server sent: code, the subject (room or nick) if any, and its text.
    case refused(code: String, subject: String?, text: String)
    /// Text from the server worth showing a person (MOTD, replies, notices).
    case serverText(String)
    /// Something did not go as asked and the session went on anyway (an
    /// optional login refused, a nick cut to the server's length): hosts say it
    /// on stderr even when they print nothing else.
    case warning(String)
    /// The server answered the PING that proves everything before it was processed.
    case confirmed(token: String)
    case failed(SessionFailure)
}
