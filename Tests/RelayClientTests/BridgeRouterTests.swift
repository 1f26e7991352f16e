import RelayClient
import XCTest

final class BridgeRouterTests: XCTestCase {
    private let z = "\u{200B}"  // the relayed-line marker, and the nick guard

    private func chat(_ room: String?, _ nick: String, _ text: String, _ kind: ChatLine.Kind = .message) -> ClientEvent {
        .chat(ChatLine(room: room, nick: nick, text: text, kind: kind))
    }

    /// Group 1: #foo and #foo2 on network 0, #bar on network 1. Group 2: #x on 0, #y on 1.
    private func router(_ configure: (inout BridgeOptions) -> Void = { _ in }) -> BridgeRouter {
        var options = BridgeOptions()
        configure(&options)
        return BridgeRouter(groups: [
            [BridgeEndpoint(network: 0, room: "#foo"), BridgeEndpoint(network: 0, room: "#foo2"), BridgeEndpoint(network: 1, room: "#bar")],
            [BridgeEndpoint(network: 0, room: "#x"), BridgeEndpoint(network: 1, room: "#y")],
        ], networkLabels: ["A", "B"], options: options)
    }

    func testALineReachesEveryOtherMemberOfItsGroupOnceAndNoOtherGroup() {
        let out = router().route(chat("#FOO", "ana", "hi"), network: 0, ownNick: "relay")
        XCTAssertEqual(out, [
            .init(network: 0, room: "#foo2", text: "\(z)<a\(z)na> hi", kind: .message),
            .init(network: 1, room: "#bar", text: "\(z)<a\(z)na> hi", kind: .message),
        ])
        XCTAssertEqual(router().route(chat("#y", "bob", "yo"), network: 1, ownNick: "relay").map(\.room), ["#x"])
        XCTAssertEqual(router().rooms(on: 0), ["#foo", "#foo2", "#x"])
    }

    func testFormatActionsAndTheNickGuard() {
        let plain = router { $0.nickGuard = false; $0.format = "[{network}/{room}] {nick}: {text}" }
        XCTAssertEqual(plain.route(chat("#x", "ana", "hello"), network: 0, ownNick: "relay").map(\.text), ["\(z)[A/#x] ana: hello"])
        XCTAssertEqual(plain.route(chat("#x", "ana", "waves", .action), network: 0, ownNick: "relay"),
                       [.init(network: 1, room: "#y", text: "\(z)ana waves", kind: .action)], "an action stays an action")
        XCTAssertNil(BridgeOptions.problem(with: "<{nick}> {text}"))
        XCTAssertNotNil(BridgeOptions.problem(with: "<{nick}>"))
    }

    func testEveryPieceOfALongLineKeepsItsAttribution() {
        let text = (1...60).map { "word\($0)" }.joined(separator: " ")
        let out = router().route(chat("#x", "ana", text), network: 0, ownNick: "relay") { _, _, _ in 120 }
        XCTAssertGreaterThan(out.count, 3)
        XCTAssertTrue(out.allSatisfy { $0.text.hasPrefix("\(z)<a\(z)na> ") && $0.text.utf8.count <= 120 })
        XCTAssertEqual(out.map { String($0.text.dropFirst("\(z)<a\(z)na> ".count)) }.joined(separator: " "), text)
    }

    func testLoops() {
        let r = router()
        XCTAssertEqual(r.route(chat("#x", "relay", "<ana> hi"), network: 0, ownNick: "relay"), [], "its own line")
        XCTAssertEqual(r.route(chat("#y", "relay", "a namesake"), network: 1, ownNick: "relay_").count, 1,
                       "the bridge is relay_ on B: a real relay there is relayed")
        XCTAssertEqual(r.route(chat("#x", "otherbridge", "\(z)<bob> hi"), network: 0, ownNick: "relay"), [],
                       "another bridge's line is never relayed again")
        XCTAssertEqual(router { $0.ignore = ["*bot"] }.route(chat("#x", "gitbot", "build ok"), network: 0, ownNick: "relay"), [])
        XCTAssertEqual(r.route(chat(nil, "ana", "psst"), network: 0, ownNick: "relay"), [], "private messages are not bridged")
    }

    func testTwoBridgesOnTheSameRoomsDeliverOneCopyEachAndNothingComesBack() {
        // Both bridges hear ana on A and relay to B; each then hears the other's copy on B.
        let one = router(), two = router()
        let copies = one.route(chat("#x", "ana", "hi"), network: 0, ownNick: "b1") + two.route(chat("#x", "ana", "hi"), network: 0, ownNick: "b2")
        XCTAssertEqual(copies.count, 2)
        for copy in copies {
            XCTAssertEqual(one.route(chat(copy.room, "b2", copy.text), network: 1, ownNick: "b1"), [])
            XCTAssertEqual(two.route(chat(copy.room, "b1", copy.text), network: 1, ownNick: "b2"), [])
        }
    }

    func testEventsAndNoticesOnlyWhenAsked() {
        let quiet = router()
        XCTAssertEqual(quiet.route(.join(room: "#x", nick: "ana"), network: 0, ownNick: "relay"), [])
        XCTAssertEqual(quiet.route(chat("#x", "ana", "fyi", .notice), network: 0, ownNick: "relay"), [])
        let loud = router { $0.relayEvents = true; $0.relayNotices = true; $0.nickGuard = false }
        XCTAssertEqual(loud.route(.join(room: "#x", nick: "ana"), network: 0, ownNick: "relay"),
                       [.init(network: 1, room: "#y", text: "\(z)ana joined #x", kind: .notice)])
        XCTAssertEqual(loud.route(.quit(nick: "ana", reason: "bye", rooms: ["#foo", "#x"]), network: 0, ownNick: "relay").map(\.room),
                       ["#bar", "#y"], "a quit reaches the other networks' rooms of every group she was in, once each")
        XCTAssertEqual(loud.route(.nick(old: "ana", new: "anna", rooms: ["#x"]), network: 0, ownNick: "relay").map(\.text),
                       ["\(z)ana is now known as anna"])
        XCTAssertEqual(loud.route(.kick(room: "#x", nick: "ana", by: "op", reason: "spam"), network: 0, ownNick: "relay").map(\.text),
                       ["\(z)op kicked ana from #x (spam)"])
        XCTAssertEqual(loud.route(.topic(room: "#x", nick: nil, text: "t"), network: 0, ownNick: "relay"), [], "a topic shown on join is no event")
        XCTAssertEqual(loud.route(chat("#x", "ana", "fyi", .notice), network: 0, ownNick: "relay"),
                       [.init(network: 1, room: "#y", text: "\(z)<ana> fyi", kind: .notice)])
        XCTAssertEqual(loud.route(.join(room: "#x", nick: "relay"), network: 0, ownNick: "relay"), [], "its own join")
    }

    func testCRLFInATextNeverBecomesALineBreak() {
        let out = router().route(chat("#x", "ana", "a\r\nQUIT :x"), network: 0, ownNick: "relay")
        XCTAssertEqual(out.map(\.text), ["\(z)<a\(z)na> a  QUIT :x"])
    }
}

final class BridgeOutboxTests: XCTestCase {
    private let start = ContinuousClock.now

    private func line(_ room: String, _ text: String) -> BridgeRouter.Delivery {
        .init(network: 0, room: room, text: text, kind: .message)
    }

    func testBoundedByCountOldestFallOffCountedPerRoom() {
        var outbox = BridgeOutbox(limit: 3, maxAge: .seconds(600))
        for index in 1...5 { outbox.push(line("#a", "\(index)"), now: start) }
        XCTAssertEqual(outbox.takeDropped().map { "\($0.room) \($0.count)" }, ["#a 2"])
        XCTAssertEqual(outbox.takeDropped().count, 0, "reported once")
        XCTAssertEqual((0..<3).compactMap { _ in outbox.pop(now: start)?.text }, ["3", "4", "5"], "in order, each once")
        XCTAssertNil(outbox.pop(now: start))
    }

    func testDropsAreReportedOnceABurstIsOverOrAMinuteLate() {
        var outbox = BridgeOutbox(limit: 2, maxAge: .seconds(600))
        for index in 1...4 { outbox.push(line("#a", "\(index)"), now: start) }
        XCTAssertTrue(outbox.dropReport(now: start).isEmpty, "lines still wait: the burst may go on")
        _ = outbox.pop(now: start); _ = outbox.pop(now: start)
        XCTAssertTrue(outbox.dropReport(now: start + .milliseconds(500)).isEmpty, "quiet for less than a second")
        XCTAssertEqual(outbox.dropReport(now: start + .seconds(1)).map { "\($0.room) \($0.count)" }, ["#a 2"], "one notice for the burst")
        XCTAssertTrue(outbox.dropReport(now: start + .seconds(2)).isEmpty, "said once")

        var busy = BridgeOutbox(limit: 1, maxAge: .seconds(600))
        var reported: [Int] = []
        for second in 0...130 {
            busy.push(line("#b", "x"), now: start + .seconds(second))
            busy.push(line("#b", "y"), now: start + .seconds(second))
            let report = busy.dropReport(now: start + .seconds(second))
            if !report.isEmpty { reported.append(second) }
        }
        XCTAssertEqual(reported, [60, 121], "a drop that never stops is reported a minute after the first unreported one")
    }

    func testBoundedByAgeAndRoomsNotJoinedDoNotHoldUpOthers() {
        var outbox = BridgeOutbox(limit: 100, maxAge: .seconds(60))
        outbox.push(line("#a", "old"), now: start)
        outbox.push(line("#b", "b1"), now: start + .seconds(30))
        outbox.push(line("#a", "a2"), now: start + .seconds(40))
        XCTAssertEqual(outbox.pop(now: start + .seconds(61), ready: { $0 == "#a" })?.text, "a2", "the old one expired")
        XCTAssertEqual(outbox.takeDropped().map(\.room), ["#a"])
        XCTAssertEqual(outbox.waiting(for: "#B"), 1)
        XCTAssertEqual(outbox.pop(now: start + .seconds(62))?.text, "b1")
    }

    func testRejoinsAreBoundedAndHealthDecidesTheExit() {
        var rejoins = RejoinPolicy(delay: .seconds(10), limit: 2)
        XCTAssertEqual(rejoins.kicked(network: 0, room: "#a", now: start), start + .seconds(10))
        XCTAssertEqual(rejoins.kicked(network: 0, room: "#A", now: start), start + .seconds(10))
        XCTAssertNil(rejoins.kicked(network: 0, room: "#a", now: start), "then it gives up")
        XCTAssertNotNil(rejoins.kicked(network: 1, room: "#a", now: start), "per room and network")
        var health = BridgeHealth()
        XCTAssertTrue(health.startFailed)
        XCTAssertNil(health.refused(0, live: [0, 1]))
        XCTAssertFalse(health.wasReached(1))
        health.registered(1)
        XCTAssertFalse(health.startFailed)
        XCTAssertTrue(health.wasReached(1), "a drop now is a loss")
        XCTAssertFalse(health.wasReached(0))
        XCTAssertEqual(health.refused(1, live: [0, 1]), 3, "every network refused")
    }
}

final class BridgeSetupTests: XCTestCase {
    private func network(_ name: String, port: Int = 6667, password: String? = nil, label: String? = nil) -> BridgeNetwork {
        BridgeNetwork(name: name, host: "127.0.0.1", port: port, nick: "relay", password: password, label: label)
    }

    func testAReloadKeepsWhatDidNotChangeAndReconnectsWhatDid() {
        let old = BridgeSetup(networks: [network("a"), network("b"), network("c")], groups: [])
        let new = BridgeSetup(networks: [network("a", label: "A!"), network("b", password: "new"), network("d")], groups: [])
        let changes = old.changes(to: new)
        XCTAssertEqual(changes.kept, ["a"], "a label is no reason to reconnect")
        XCTAssertEqual(changes.reconnected, ["b"])
        XCTAssertEqual(changes.added, ["d"])
        XCTAssertEqual(changes.removed, ["c"])
        let rooms = BridgeSetup.roomChanges(from: ["#dev", "#old"], to: ["#DEV", "#new"])
        XCTAssertEqual(rooms.join, ["#new"])
        XCTAssertEqual(rooms.part, ["#old"])
    }

    func testOneWayMembersReceiveButAreNeverASource() {
        let router = BridgeRouter(groups: [BridgeGroup(members: [
            BridgeEndpoint(network: 0, room: "#dev"), BridgeEndpoint(network: 1, room: "#announce", receiveOnly: true),
        ], format: "{nick}: {text}")], networkLabels: ["a", "b"], options: { var o = BridgeOptions(); o.nickGuard = false; return o }())
        XCTAssertEqual(router.route(.chat(ChatLine(room: "#dev", nick: "ana", text: "hi", kind: .message)), network: 0, ownNick: "relay"),
                       [.init(network: 1, room: "#announce", text: "\u{200B}ana: hi", kind: .message)], "the group's own format")
        XCTAssertEqual(router.route(.chat(ChatLine(room: "#announce", nick: "bob", text: "hi", kind: .message)), network: 1, ownNick: "relay"), [])
    }
}
