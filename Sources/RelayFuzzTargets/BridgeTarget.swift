import RelayClient
import RelayIRC

/// The bridge's formatting and splitting: every piece fits the target's budget
/// and starts with the loop marker and the attribution; the pieces re-join to
/// the text (a piece may have broken at one space).
enum BridgeTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        let flags = cursor.byte()
        let nickLength = Int(cursor.byte() % 30) + 1
        var nick = ""
        for _ in 0..<nickLength {
            let byte = cursor.byte()
            nick.append(Character(Unicode.Scalar(UInt8(ascii: "a") + byte % 26)))
        }
        let text = String(decoding: cursor.rest(), as: UTF8.self)
        var options = BridgeOptions()
        options.nickGuard = flags & 1 != 0
        let kind: ChatLine.Kind = flags & 2 != 0 ? .action : .message
        let router = BridgeRouter(groups: [BridgeGroup(members: [BridgeEndpoint(network: 0, room: "#a"),
                                                                 BridgeEndpoint(network: 1, room: "#b")])],
                                  networkLabels: ["a", "b"], options: options)
        let target = ClientSession(config: SessionConfig(nick: "relay-bridge"), now: .now)
        let deliveries = router.route(.chat(ChatLine(room: "#a", nick: nick, text: text, kind: kind)), network: 0,
                                      ownNick: "relay-bridge", budget: { _, room, kind in target.textBudget(to: room, kind: kind) })
        guard !text.hasPrefix(BridgeRouter.marker) else { return precondition(deliveries.isEmpty, "relayed a marked line") }
        precondition(!deliveries.isEmpty, "nothing relayed")
        let head = BridgeRouter.marker + (kind == .action ? router.guarded(nick) + " " : "<\(router.guarded(nick))> ")
        let clean = TextScrub.oneLine(text)
        // In bytes: a combining mark after the head's space would join it as one Character.
        var rest = ArraySlice(Array(clean.utf8))
        let head8 = Array(head.utf8)
        for delivery in deliveries {
            precondition(delivery.network == 1 && delivery.room == "#b", "delivered to the wrong room")
            precondition(delivery.text.utf8.count <= target.textBudget(to: "#b", kind: kind), "a piece over the budget")
            let text8 = Array(delivery.text.utf8)
            precondition(text8.starts(with: head8), "a piece without its attribution")
            let piece = text8.dropFirst(head8.count)
            if !rest.starts(with: piece), rest.first == 32 { rest = rest.dropFirst() }
            precondition(rest.starts(with: piece), "the pieces do not re-join to the text")
            rest = rest.dropFirst(piece.count)
        }
        // The space a piece broke at belongs to neither piece, the last one's too.
        precondition(rest.isEmpty || rest.elementsEqual([32]) && deliveries.count > 1, "text was lost")
    }
}
