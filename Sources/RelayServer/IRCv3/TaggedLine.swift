import RelayIRC

/// One event for many IRC clients: its line rendered once without tags (what
/// a client that asked for nothing gets, at no extra cost), and once for each
/// kind of IRCv3 client that gets tags, when the first of that kind is met.
final class TaggedLine {
    /// The line without tags, CRLF included.
    let line: [UInt8]
    /// When it happened (server-time).
    let millis: Int64
    /// The message's id (message-tags), for PRIVMSG, NOTICE and TAGMSG.
    let msgid: MessageID?
    /// The sender's account (account-tag), when they have one.
    let account: String?
    /// The sender is a bot (+B): the `bot` tag.
    let bot: Bool
    /// The sender's client-only tags ("+typing=active"), as sent on the wire.
    let clientTags: [UInt8]
    /// Renderings by which of server-time, message-tags and account-tag the client has.
    private var rendered: [[UInt8]?] = []

    init(_ line: [UInt8], millis: Int64, msgid: MessageID? = nil, account: String? = nil, bot: Bool = false, clientTags: [UInt8] = []) {
        self.line = line
        self.millis = millis
        self.msgid = msgid
        self.account = account
        self.bot = bot
        self.clientTags = clientTags
    }

    /// The bytes a client with `caps` gets.
    func bytes(for caps: Capability) -> [UInt8] {
        var index = 0
        if caps.contains(.serverTime) { index |= 1 }
        if caps.contains(.messageTags) && (msgid != nil || bot || !clientTags.isEmpty) { index |= 2 }
        if caps.contains(.accountTag) && account != nil { index |= 4 }
        if index == 0 { return line }
        if rendered.isEmpty { rendered = Array(repeating: nil, count: 8) }
        if let done = rendered[index] { return done }
        var tags: [UInt8] = [UInt8(ascii: "@")]
        func add(_ key: String, _ value: String?) {
            if tags.count > 1 { tags.append(UInt8(ascii: ";")) }
            Message.appendTag(key, value, to: &tags)
        }
        if index & 4 != 0, let account { add("account", account) }
        if index & 2 != 0 {
            if bot { add("bot", nil) }
            if let msgid { add("msgid", msgid.text) }
        }
        if index & 1 != 0 { add("time", ServerTime.format(millis: millis)) }
        if index & 2 != 0 && !clientTags.isEmpty {
            tags.append(UInt8(ascii: ";"))
            tags += clientTags
        }
        tags.append(UInt8(ascii: " "))
        let bytes = tags + line
        rendered[index] = bytes
        return bytes
    }
}

/// A msgid: this server run's prefix and a counter, written out only for
/// the clients that get it.
struct MessageID {
    let prefix: String
    let number: UInt64

    var text: String { prefix + "-" + String(number, radix: 36) }

    /// The number of a msgid this server run gave out; nil for anything else.
    static func number(of text: String, prefix: String) -> UInt64? {
        guard text.hasPrefix(prefix), text.utf8.count > prefix.utf8.count + 1 else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard rest.first == "-" else { return nil }
        return UInt64(rest.dropFirst(), radix: 36)
    }
}
