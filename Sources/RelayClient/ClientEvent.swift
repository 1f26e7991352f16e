/// A line of chat someone sent us or a room we are in.
public struct ChatLine: Equatable, Sendable {
    public enum Kind: String, Sendable { case message, action, notice }
    /// The room, or nil for a private message.
    public var room: String?
    public var nick: String
    public var text: String
    public var kind: Kind

    public init(room: String?, nick: String, text: String, kind: Kind) {
        self.room = room
        self.nick = nick
        self.text = text
        self.kind = kind
    }
}

/// Why a session cannot go on.
public enum SessionFailure: Equatable, Sendable, CustomStringConvertible {
    case passwordRefused
    case nickUnavailable(String)
    case closedByServer(String)
    case timedOut(String)

    public var description: String {
        switch self {
        case .passwordRefused: return "the server refused the password"
        case .nickUnavailable(let why): return why
        case .closedByServer(let text): return "the server closed the connection: \(text)"
        case .timedOut(let what): return what
        }
    }
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
    case quit(nick: String, reason: String)
    case nick(old: String, new: String)
    case topic(room: String, nick: String?, text: String)
    case kick(room: String, nick: String, by: String, reason: String)
    case names(room: String, nicks: [String])
    /// A numeric error the server sent: code, the subject (room or nick) if any, and its text.
    case refused(code: String, subject: String?, text: String)
    /// Text from the server worth showing a person (MOTD, replies, notices).
    case serverText(String)
    /// The server answered the PING that proves everything before it was processed.
    case confirmed(token: String)
    case failed(SessionFailure)
}
