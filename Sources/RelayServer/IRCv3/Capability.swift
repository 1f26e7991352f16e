/// The IRCv3 capabilities `relay serve` offers, one bit each: a user's set is
/// one word, so asking "does this client want tags?" costs a test and a branch.
struct Capability: OptionSet, Hashable {
    let rawValue: UInt32

    static let messageTags = Capability(rawValue: 1 << 0)
    static let serverTime = Capability(rawValue: 1 << 1)
    static let echoMessage = Capability(rawValue: 1 << 2)
    static let batch = Capability(rawValue: 1 << 3)
    static let labeledResponse = Capability(rawValue: 1 << 4)
    static let multiPrefix = Capability(rawValue: 1 << 5)
    static let userhostInNames = Capability(rawValue: 1 << 6)
    static let awayNotify = Capability(rawValue: 1 << 7)
    static let extendedJoin = Capability(rawValue: 1 << 8)
    static let accountTag = Capability(rawValue: 1 << 9)
    static let accountNotify = Capability(rawValue: 1 << 10)
    static let chghost = Capability(rawValue: 1 << 11)
    static let setname = Capability(rawValue: 1 << 12)
    static let inviteNotify = Capability(rawValue: 1 << 13)
    static let capNotify = Capability(rawValue: 1 << 14)
    static let extendedMonitor = Capability(rawValue: 1 << 15)
    static let chathistory = Capability(rawValue: 1 << 16)
    static let readMarker = Capability(rawValue: 1 << 17)
    static let messageRedaction = Capability(rawValue: 1 << 18)
    static let relaymsg = Capability(rawValue: 1 << 19)
    /// Offered only where the server keeps accounts (`--data`).
    static let sasl = Capability(rawValue: 1 << 20)
    /// REGISTER after connecting (no before-connect, no e-mail), with accounts only.
    static let accountRegistration = Capability(rawValue: 1 << 21)
    /// What only a server with accounts (`--data`) offers.
    static let needsAccounts: Capability = [.sasl, .accountRegistration]

    /// The capabilities that put tags on lines others cause: a client with
    /// none of them gets every event's line as it is.
    static let tagged: Capability = [.serverTime, .messageTags, .accountTag]

    /// What may join a relayed nick to its network ("ana/libera"): RELAYMSG's separators.
    static let relaySeparators = "/"

    /// Every capability, in the order `CAP LS` lists them, with its value for
    /// `CAP LS 302` (`sasl=…` will have one too, once serve has accounts).
    static let offered: [(name: String, capability: Capability, value: String?)] = [
        ("account-notify", .accountNotify, nil),
        ("account-tag", .accountTag, nil),
        ("away-notify", .awayNotify, nil),
        ("batch", .batch, nil),
        ("cap-notify", .capNotify, nil),
        ("chghost", .chghost, nil),
        ("draft/account-registration", .accountRegistration, nil),
        ("draft/chathistory", .chathistory, nil),
        ("draft/message-redaction", .messageRedaction, nil),
        ("draft/read-marker", .readMarker, nil),
        ("draft/relaymsg", .relaymsg, relaySeparators),
        ("echo-message", .echoMessage, nil),
        ("extended-join", .extendedJoin, nil),
        ("extended-monitor", .extendedMonitor, nil),
        ("invite-notify", .inviteNotify, nil),
        ("labeled-response", .labeledResponse, nil),
        ("message-tags", .messageTags, nil),
        ("multi-prefix", .multiPrefix, nil),
        ("sasl", .sasl, "PLAIN,EXTERNAL"),
        ("server-time", .serverTime, nil),
        ("setname", .setname, nil),
        ("userhost-in-names", .userhostInNames, nil),
    ]

    static func named(_ name: String) -> Capability? {
        let lowered = name.lowercased()
        return offered.first { $0.name == lowered }?.capability
    }

    /// "ls" tokens: `name` or, for 302 clients, `name=value`.
    static func listing(version: Int) -> [String] {
        offered.map { entry in
            if version >= 302, let value = entry.value { return "\(entry.name)=\(value)" }
            return entry.name
        }
    }

    /// The names of the capabilities in `set`, in listing order.
    static func names(_ set: Capability) -> [String] {
        offered.filter { set.contains($0.capability) }.map(\.name)
    }

    /// Words packed into lines of at most `maxBytes` each (CAP LS and LIST
    /// continue with "*" when a list does not fit one line).
    static func pack(_ words: [String], maxBytes: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in words {
            if !current.isEmpty && current.utf8.count + 1 + word.utf8.count > maxBytes {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? word : " " + word
        }
        lines.append(current)
        return lines
    }
}
