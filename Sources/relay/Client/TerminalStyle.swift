import RelayClient
import RelayIRC
#if canImport(Glibc)
import Glibc
#endif

/// How the interactive chat renders lines: `HH:MM <nick> text`, actions,
/// notices, private messages and `-!-` events, with each nick in a colour of
/// its own (the same every time) unless colours are off.
struct TerminalStyle {
    let colors: Bool

    private static let palette = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96]

    func nick(_ raw: String) -> String {
        let name = Self.safe(raw)
        guard colors else { return name }
        // FNV-1a: a stable hash, unlike Swift's seeded Hasher.
        var hash: UInt32 = 2_166_136_261
        for byte in name.lowercased().utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "\u{1B}[\(Self.palette[Int(hash % UInt32(Self.palette.count))])m\(name)\u{1B}[0m"
    }

    private func dim(_ text: String) -> String { colors ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

    /// Local "HH:MM".
    /// "HH:MM" local time: now, or `millis` (the server's time of a line, server-time).
    static func clock(millis: Int64? = nil) -> String {
        var now = millis.map { time_t($0 / 1000) } ?? time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min))"
    }

    /// Text from others is stripped of control characters, C0, DEL and C1
    /// (U+0080-U+009F, which many terminals take as CSI, OSC...): no escape
    /// sequence of theirs reaches the terminal. Nicks, room names and topics
    /// come from the server as much as messages do.
    static func safe(_ text: String) -> String {
        TextScrub.printable(text)
    }

    func info(_ text: String) -> String {
        "\(Self.clock()) \(dim("-!-")) \(Self.safe(text))"
    }

    func format(_ line: ChatLine, currentRoom: String?) -> String {
        let text = Self.safe(line.text)
        var place = ""
        if let room = line.room, room.lowercased() != currentRoom?.lowercased() { place = "\(Self.safe(room)) " }
        let body: String
        switch (line.kind, line.room == nil) {
        case (.message, false): body = "<\(nick(line.nick))> \(text)"
        case (.action, false): body = "* \(nick(line.nick)) \(text)"
        case (.notice, _): body = "-\(nick(line.nick))- \(text)"
        case (.message, true): body = "*\(nick(line.nick))* \(text)  (private)"
        case (.action, true): body = "* \(nick(line.nick)) \(text)  (private)"
        }
        return "\(Self.clock(millis: line.time)) \(place)\(body)"
    }

    func ownPrivate(to target: String, text: String) -> String {
        "\(Self.clock()) -> *\(nick(target))* \(Self.safe(text))"
    }

    func event(_ event: ClientEvent) -> String? {
        switch event {
        case .join(let room, let who): return info("\(who) joined \(room)")
        case .part(let room, let who, let reason): return info("\(who) left \(room)" + (reason.map { " (\($0))" } ?? ""))
        case .quit(let who, let reason, _): return info("\(who) quit (\(reason))")
        case .nick(let old, let new, _): return info("\(old) is now known as \(new)")
        case .topic(let room, let who, let text):
            return info(who.map { "\($0) changed the topic of \(room) to: \(text)" } ?? "Topic of \(room): \(text)")
        case .kick(let room, let who, let by, let reason): return info("\(who) was kicked from \(room) by \(by) (\(reason))")
        default: return nil
        }
    }
}
