import DequeModule
import RelayIRC

/// One bridged room: a room on one network, a member of one group.
public struct BridgeEndpoint: Hashable, Sendable {
    /// Index of the network (one connection each).
    public let network: Int
    public let room: String
    /// One-way: receives what the group says, but nothing said there is relayed.
    public let receiveOnly: Bool

    public init(network: Int, room: String, receiveOnly: Bool = false) {
        self.network = network
        self.room = room
        self.receiveOnly = receiveOnly
    }
}

/// Rooms relayed among each other, and how their lines read.
public struct BridgeGroup: Equatable, Sendable {
    public var name: String
    public var members: [BridgeEndpoint]
    /// Overrides the bridge's `--format` for this group.
    public var format: String?

    public init(name: String = "", members: [BridgeEndpoint], format: String? = nil) {
        self.name = name
        self.members = members
        self.format = format
    }
}

/// How a bridge relays.
public struct BridgeOptions: Sendable {
    /// `{nick}`, `{room}`, `{network}` and `{text}` (once) are filled in.
    public var format = "<{nick}> {text}"
    /// A zero-width space after the first character of relayed nicks, so that
    /// namesakes on the other side are not pinged.
    public var nickGuard = true
    public var relayEvents = false
    public var relayNotices = false
    /// Nick masks never relayed (other bots).
    public var ignore: [String] = []

    public init() {}

    /// nil if `format` is usable, else why not.
    public static func problem(with format: String) -> String? {
        let count = format.ranges(of: "{text}").count
        return count == 1 ? nil : "--format must contain {text} exactly once (got \(format))"
    }
}

/// Where a bridge relays what it hears, and in what words: pure, lines in and
/// deliveries out.
///
/// - Groups: a line said in one member room appears in every other member of its
///   group, exactly once, whatever network each is on (two rooms on one network
///   included); groups never mix.
/// - Loops: the bridge's own lines are recognised by the nick it holds on *that*
///   network (a namesake elsewhere is relayed), `ignore` masks skip other bots,
///   and every line a bridge sends starts with an invisible marker (U+200B): a
///   bridge never relays a marked line. Two bridges on the same rooms therefore
///   deliver each message once per bridge, and nothing comes back. The price:
///   bridges do not chain (A–B by one bridge and B–C by another does not carry A
///   to C); put all three rooms in one group instead.
/// - Every piece of a long line carries the attribution: `budget` says how many
///   bytes of text fit one line to a target, and the text is split to fit.
public final class BridgeRouter {
    public struct Delivery: Equatable, Sendable {
        public let network: Int
        public let room: String
        public let text: String
        public let kind: ChatLine.Kind
        /// For a line someone said that fits one line: who said it, on which
        /// network, and the text alone (marked), so that a server with
        /// draft/relaymsg can show it as theirs ("ana/libera"). Not part of equality.
        public var speaker: (nick: String, network: String)?
        public var body: String?
        /// A webhook request waiting for this line's confirmation (`?wait=1`); not part of equality.
        public var ticket: Int?

        public init(network: Int, room: String, text: String, kind: ChatLine.Kind) {
            self.network = network
            self.room = room
            self.text = text
            self.kind = kind
        }

        public static func == (a: Delivery, b: Delivery) -> Bool {
            a.network == b.network && a.room == b.room && a.text == b.text && a.kind == b.kind
        }

        /// A network's short name for a relayed nick: a configured name as it
        /// is; of a "host:port" label, the host's telling part ("libera" of
        /// irc.libera.chat:6697); nil for an IP address, which says nothing.
        static func shortName(of label: String) -> String? {
            var host = Substring(label)
            if let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber) { host = host[..<colon] }
            let parts = host.split(separator: ".")
            guard !parts.isEmpty, !host.contains(":"), !parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
            let telling = parts.count > 1 && parts[0].lowercased() == "irc" ? parts[1] : parts[0]
            return String(telling)
        }

        /// The nick RELAYMSG shows: "nick" `separator` "network", in the
        /// characters a nick may hold, within `maxLength`; nil if none can be made.
        public func relayNick(separator: Character, maxLength: Int = 30) -> String? {
            guard let speaker else { return nil }
            // The characters a nick may hold after its first ("a" + c is a valid nick).
            func clean(_ text: String) -> String { String(text.filter { $0.isASCII && Names.isValidNick("a" + String($0), maxLength: 2) }) }
            guard let name = Self.shortName(of: speaker.network) else { return nil }
            let network = clean(name), nick = clean(speaker.nick)
            let room = maxLength - network.count - 1
            guard !network.isEmpty, room > 0, Names.isValidNick(String(nick.prefix(room)), maxLength: room) else { return nil }
            return String(nick.prefix(room)) + String(separator) + network
        }
    }

    /// Starts every line a bridge sends; such lines are never relayed again.
    public static let marker = "\u{200B}"

    public let groups: [BridgeGroup]
    public let networkLabels: [String]
    public let options: BridgeOptions
    /// Relayed lines by target (network index and folded room), for the operator's counters.
    public var relayed: [String: Int] = [:]

    public init(groups: [BridgeGroup], networkLabels: [String], options: BridgeOptions = BridgeOptions()) {
        self.groups = groups
        self.networkLabels = networkLabels
        self.options = options
    }

    public convenience init(groups: [[BridgeEndpoint]], networkLabels: [String], options: BridgeOptions = BridgeOptions()) {
        self.init(groups: groups.map { BridgeGroup(members: $0) }, networkLabels: networkLabels, options: options)
    }

    public static func counterKey(network: Int, room: String) -> String { "\(network) \(Casemapping.fold(room))" }

    /// Every room of `network` the bridge must be in.
    public func rooms(on network: Int) -> [String] {
        var rooms: [String] = []
        for endpoint in groups.flatMap(\.members) where endpoint.network == network
            && !rooms.contains(where: { Casemapping.equal($0, endpoint.room) }) {
            rooms.append(endpoint.room)
        }
        return rooms
    }

    /// What to send where for `event`, heard on `network` where the bridge is `ownNick`.
    /// `budget(network, room, kind)` is how many bytes of text one line to that room holds.
    public func route(_ event: ClientEvent, network: Int, ownNick: String,
                      budget: (Int, String, ChatLine.Kind) -> Int = { _, _, _ in 400 }) -> [Delivery] {
        switch event {
        case .chat(let line) where !line.isHistory:  // history played back was relayed when it was said
            guard let room = line.room, line.kind != .notice || options.relayNotices, isRelayable(line.nick, ownNick),
                  !line.text.hasPrefix(Self.marker) else { return [] }
            let relayed = deliver(from: [room], network: network, skipSameNetwork: false) { target, format in
                let nick = guarded(line.nick)
                switch line.kind {
                case .action: return pieces(nick + " ", line.text, "", target, .action, budget)
                case .message, .notice:
                    let (head, tail) = template(format, nick: nick, room: room, network: network)
                    return pieces(head, line.text, tail, target, line.kind, budget)
                }
            }
            // One line for a target: it may go as the speaker's own (draft/relaymsg).
            let label = network < networkLabels.count ? networkLabels[network] : String(network)
            return relayed.map { delivery in
                guard line.kind != .notice, relayed.count { $0.network == delivery.network && Casemapping.equal($0.room, delivery.room) } == 1
                else { return delivery }
                var single = delivery
                single.speaker = (line.nick, label)
                single.body = Self.marker + TextScrub.oneLine(line.text)
                return single
            }
        case .join(let room, let nick) where options.relayEvents && isRelayable(nick, ownNick):
            return notice(from: [room], network: network, "\(guarded(nick)) joined \(room)", budget)
        case .part(let room, let nick, let reason) where options.relayEvents && isRelayable(nick, ownNick):
            return notice(from: [room], network: network, "\(guarded(nick)) left \(room)" + (reason.map { " (\($0))" } ?? ""), budget)
        case .quit(let nick, let reason, let rooms) where options.relayEvents && isRelayable(nick, ownNick):
            return notice(from: rooms, network: network, "\(guarded(nick)) quit (\(reason))", budget, skipSameNetwork: true)
        case .nick(let old, let new, let rooms) where options.relayEvents && isRelayable(old, ownNick) && isRelayable(new, ownNick):
            return notice(from: rooms, network: network, "\(guarded(old)) is now known as \(guarded(new))", budget, skipSameNetwork: true)
        case .topic(let room, let nick?, let text) where options.relayEvents && isRelayable(nick, ownNick):
            return notice(from: [room], network: network, "\(guarded(nick)) changed the topic of \(room) to: \(text)", budget)
        case .kick(let room, let nick, let by, let reason) where options.relayEvents && isRelayable(by, ownNick):
            return notice(from: [room], network: network, "\(guarded(by)) kicked \(guarded(nick)) from \(room) (\(reason))", budget)
        default:
            return []
        }
    }

    private func isRelayable(_ nick: String, _ ownNick: String) -> Bool {
        !nick.isEmpty && !Casemapping.equal(nick, ownNick) && !options.ignore.contains { Names.matches(mask: $0, nick) }
    }

    /// "ana" → "a\u{200B}na": looks the same, pings no one.
    public func guarded(_ nick: String) -> String {
        guard options.nickGuard, let first = nick.first, nick.count > 1 else { return nick }
        return String(first) + "\u{200B}" + nick.dropFirst()
    }

    /// The format around `{text}`, filled in.
    private func template(_ format: String, nick: String, room: String, network: Int) -> (String, String) {
        let filled = format
            .replacing("{nick}", with: nick)
            .replacing("{room}", with: room)
            .replacing("{network}", with: networkLabels.indices.contains(network) ? networkLabels[network] : "")
        guard let text = filled.firstRange(of: "{text}") else { return (filled, "") }
        return (String(filled[..<text.lowerBound]), String(filled[text.upperBound...]))
    }

    /// `head + text + tail`, marked, split so that every piece fits and keeps its attribution.
    private func pieces(_ head: String, _ text: String, _ tail: String, _ target: BridgeEndpoint, _ kind: ChatLine.Kind,
                        _ budget: (Int, String, ChatLine.Kind) -> Int) -> [(String, ChatLine.Kind)] {
        let clean = TextScrub.oneLine(text)
        let frame = Self.marker + head + tail
        let room = max(budget(target.network, target.room, kind) - frame.utf8.count, 16)
        return TextSplitter.split(clean, maxBytes: room).map { (Self.marker + head + $0 + tail, kind) }
    }

    private func notice(from rooms: [String], network: Int, _ text: String,
                        _ budget: (Int, String, ChatLine.Kind) -> Int, skipSameNetwork: Bool = false) -> [Delivery] {
        deliver(from: rooms, network: network, skipSameNetwork: skipSameNetwork) { target, _ in
            pieces("", text, "", target, .notice, budget)
        }
    }

    /// One delivery list per target: every other member of the groups the source
    /// rooms belong to, each target once. `skipSameNetwork`: for quits and nick
    /// changes, which the source network's rooms saw already.
    private func deliver(from rooms: [String], network: Int, skipSameNetwork: Bool,
                         _ render: (BridgeEndpoint, String) -> [(String, ChatLine.Kind)]) -> [Delivery] {
        var targets: [(endpoint: BridgeEndpoint, format: String)] = []
        for group in groups {
            // One-way members receive but are never a source.
            let sources = group.members.filter { member in
                !member.receiveOnly && member.network == network && rooms.contains(where: { Casemapping.equal($0, member.room) })
            }
            guard !sources.isEmpty else { continue }
            for member in group.members where !sources.contains(where: { $0.network == member.network && Casemapping.equal($0.room, member.room) })
                && !(skipSameNetwork && member.network == network)
                && !targets.contains(where: { $0.endpoint.network == member.network && Casemapping.equal($0.endpoint.room, member.room) }) {
                targets.append((member, group.format ?? options.format))
            }
        }
        var out: [Delivery] = []
        for (target, format) in targets {
            for (text, kind) in render(target, format) {
                out.append(Delivery(network: target.network, room: target.room, text: text, kind: kind))
            }
            relayed[Self.counterKey(network: target.network, room: target.room), default: 0] += 1
        }
        return out
    }
}
