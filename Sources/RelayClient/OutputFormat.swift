import RelayIRC

/// The stable line formats of scriptable mode, one event per line.
///
/// Text (`--format text`, the default):
///
///     #room <nick> text          a message
///     #room * nick text          an action
///     #room -nick- text          a notice
///     nick <nick> text           a private message (the conversation is named by the sender)
///     #room -!- nick joined      likewise: left (reason), quit (reason), is now known as, topic, kicked
///
/// JSON Lines (`--json`): one object per line with `time` (UTC, ISO 8601;
/// the server's own, with milliseconds, where it offers server-time),
/// `type` (message, action, notice, join, part, quit, nick, topic, kick, away),
/// `room` (absent for private messages and quits), `nick`, `text`, and for
/// some types `new_nick`, `by`, `private`; messages carry `msgid` and
/// `account` where the server gives them, and `history` for lines played back.
public enum OutputFormat {
    case text
    case json

    /// The line for `event`, or nil for events that are not chat.
    public func line(for event: ClientEvent, unixTime: Int64) -> String? {
        switch self {
        case .text: return Self.text(event)
        case .json: return Self.json(event, unixTime: unixTime)
        }
    }

    static func text(_ event: ClientEvent) -> String? {
        switch event {
        case .chat(let line):
            let where_ = line.room ?? line.nick
            switch line.kind {
            case .message: return "\(where_) <\(line.nick)> \(line.text)"
            case .action: return "\(where_) * \(line.nick) \(line.text)"
            case .notice: return "\(where_) -\(line.nick)- \(line.text)"
            }
        case .join(let room, let nick): return "\(room) -!- \(nick) joined"
        case .part(let room, let nick, let reason): return "\(room) -!- \(nick) left" + (reason.map { " (\($0))" } ?? "")
        case .quit(let nick, let reason, _): return "-!- \(nick) quit (\(reason))"
        case .nick(let old, let new, _): return "-!- \(old) is now known as \(new)"
        case .topic(let room, let nick, let text):
            return nick.map { "\(room) -!- \($0) changed the topic to: \(text)" } ?? "\(room) -!- topic: \(text)"
        case .kick(let room, let nick, let by, let reason): return "\(room) -!- \(nick) was kicked by \(by) (\(reason))"
        default: return nil
        }
    }

    static func json(_ event: ClientEvent, unixTime: Int64) -> String? {
        var fields: [(String, String)] = [("time", CivilTime(unixSeconds: unixTime).iso8601)]
        switch event {
        case .chat(let line):
            if let time = line.time { fields[0].1 = ServerTime.format(millis: time) }
            fields.append(("type", line.kind.rawValue))
            if let room = line.room { fields.append(("room", room)) }
            fields += [("nick", line.nick), ("text", line.text)]
            if let msgid = line.msgid { fields.append(("msgid", msgid)) }
            if let account = line.account { fields.append(("account", account)) }
            var flags: [(String, Bool)] = []
            if line.room == nil { flags.append(("private", true)) }
            if line.isHistory { flags.append(("history", true)) }
            if !flags.isEmpty { return JSONWriter.object(fields, flags: flags) }
        case .away(let nick, let text):
            fields += [("type", "away"), ("nick", nick)]
            if let text { fields.append(("text", text)) }
        case .join(let room, let nick): fields += [("type", "join"), ("room", room), ("nick", nick)]
        case .part(let room, let nick, let reason):
            fields += [("type", "part"), ("room", room), ("nick", nick)]
            if let reason { fields.append(("text", reason)) }
        case .quit(let nick, let reason, _): fields += [("type", "quit"), ("nick", nick), ("text", reason)]
        case .nick(let old, let new, _): fields += [("type", "nick"), ("nick", old), ("new_nick", new)]
        case .topic(let room, let nick, let text):
            fields += [("type", "topic"), ("room", room)]
            if let nick { fields.append(("nick", nick)) }
            fields.append(("text", text))
        case .kick(let room, let nick, let by, let reason):
            fields += [("type", "kick"), ("room", room), ("nick", nick), ("by", by), ("text", reason)]
        default: return nil
        }
        return JSONWriter.object(fields)
    }
}
