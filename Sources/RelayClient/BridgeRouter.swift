import RelayIRC

/// Where a bridge relays what it hears: every chat line said in one bridged
/// room goes to every other bridged room, on every server, as
/// `<nick> text` (or `* nick text` for an action), said by the bridge.
///
/// Loops are prevented at the source: what a bridge itself says (on any of its
/// connections) is never relayed again. Joins, parts and private messages are
/// not relayed.
public struct BridgeRouter: Sendable {
    /// The rooms of each endpoint (server), by endpoint index.
    public let rooms: [[String]]

    public struct Delivery: Equatable, Sendable {
        public let endpoint: Int
        public let room: String
        public let text: String
        public let kind: ChatLine.Kind

        public init(endpoint: Int, room: String, text: String, kind: ChatLine.Kind) {
            self.endpoint = endpoint
            self.room = room
            self.text = text
            self.kind = kind
        }
    }

    public init(rooms: [[String]]) {
        self.rooms = rooms
    }

    /// What to send where for `line`, heard on `endpoint`, whose own nicks are `bridgeNicks`.
    public func route(_ line: ChatLine, from endpoint: Int, bridgeNicks: [String]) -> [Delivery] {
        guard let room = line.room, line.kind != .notice,
              !bridgeNicks.contains(where: { Casemapping.equal($0, line.nick) }) else { return [] }
        let text = line.kind == .action ? "* \(line.nick) \(line.text)" : "<\(line.nick)> \(line.text)"
        var out: [Delivery] = []
        for (index, targets) in rooms.enumerated() {
            for target in targets where !(index == endpoint && Casemapping.equal(target, room)) {
                out.append(Delivery(endpoint: index, room: target, text: text, kind: .message))
            }
        }
        return out
    }
}
