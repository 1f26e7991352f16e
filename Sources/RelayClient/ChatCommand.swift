import RelayIRC

/// The interactive chat's language: what a typed line means. Pure, so the
/// slash commands are tested as lines in, meanings out; `ChatUI` only carries
/// them out against the session and the screen.
public enum ChatCommand: Equatable, Sendable {
    /// Text for the current room ("//x" sends "/x").
    case say(String)
    case action(String)
    case join(room: String, key: String?)
    /// `room` nil: the current room.
    case part(room: String?, reason: String?)
    case message(nick: String, text: String)
    case nick(String)
    /// `room` nil: the current room.
    case names(room: String?)
    /// `text` nil: show it.
    case topic(String?)
    case list
    /// nil: list the rooms one is in.
    case switchTo(String?)
    case raw(String)
    case quit(reason: String?)
    case help
    /// A command used wrongly: how to use it.
    case usage(String)
    case unknown(String)

    public static func parse(_ line: String) -> ChatCommand {
        guard line.hasPrefix("/") && !line.hasPrefix("//") else {
            return .say(line.hasPrefix("//") ? String(line.dropFirst()) : line)
        }
        let name = line.prefix { $0 != " " }.lowercased()
        let rest = String(line.dropFirst(name.count).drop { $0 == " " })
        let words = rest.split(separator: " ").map(String.init)
        switch name {
        case "/join":
            guard let room = words.first else { return .usage("/join ROOM [KEY]") }
            return .join(room: ClientTarget.roomName(room), key: words.count > 1 ? words[1] : nil)
        case "/part", "/leave":
            if let first = words.first, Names.isChannel(first) {
                let reason = String(rest.dropFirst(first.count).drop { $0 == " " })
                return .part(room: first, reason: reason.isEmpty ? nil : reason)
            }
            return .part(room: nil, reason: rest.isEmpty ? nil : rest)
        case "/msg", "/query":
            guard words.count >= 2 else { return .usage("/msg NICK TEXT") }
            return .message(nick: words[0], text: String(rest.dropFirst(words[0].count + 1)))
        case "/me":
            return .action(rest)
        case "/nick":
            guard let nick = words.first else { return .usage("/nick NAME") }
            return .nick(nick)
        case "/names", "/who":
            return .names(room: words.first.map(ClientTarget.roomName))
        case "/topic":
            return .topic(rest.isEmpty ? nil : rest)
        case "/list":
            return .list
        case "/switch", "/room":
            return .switchTo(words.first.map(ClientTarget.roomName))
        case "/raw", "/quote":
            return .raw(rest)
        case "/quit", "/exit":
            return .quit(reason: rest.isEmpty ? nil : rest)
        case "/help":
            return .help
        default:
            return .unknown(name)
        }
    }

    /// What works while the connection is down: leaving, help, switching rooms,
    /// and talking (queued, `OfflineQueue`).
    public var worksOffline: Bool {
        switch self {
        case .quit, .help, .switchTo, .say, .action, .usage, .unknown: return true
        default: return false
        }
    }

    public static let helpText = [
        "Type to talk to the current room. Commands:",
        "  /join ROOM [KEY]   /part [ROOM] [REASON]   /switch ROOM (or /room)",
        "  /msg NICK TEXT     /me TEXT                /nick NAME",
        "  /names [ROOM] (or /who)   /topic [TEXT]    /list",
        "  /raw LINE          /quit [REASON]          /help",
        "Tab completes commands, nicks and rooms. Ctrl-C clears the line; twice quits. Ctrl-D quits.",
    ]
}

/// Lines typed while the connection is down: kept, bounded, sent in order once
/// it is back.
public struct OfflineQueue: Sendable {
    public let limit: Int
    public private(set) var lines: [(room: String, text: String, kind: ChatLine.Kind)] = []

    public init(limit: Int = 100) { self.limit = limit }

    /// Queues a line; false (and nothing kept) when `limit` lines already wait.
    public mutating func add(_ text: String, to room: String, kind: ChatLine.Kind) -> Bool {
        guard lines.count < limit else { return false }
        lines.append((room, text, kind))
        return true
    }

    /// Everything waiting, in order, and the queue emptied (the connection is back).
    public mutating func takeAll() -> [(room: String, text: String, kind: ChatLine.Kind)] {
        defer { lines.removeAll() }
        return lines
    }
}
