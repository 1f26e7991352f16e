import Foundation
import RelayIRC
import XCTest
@testable import RelayServer

/// Redis as the cores see it: one ordered stream of published events, each
/// handed to the nodes listening on its channel (a node hears its own too).
final class FakeRedis {
    struct Node {
        let harness: Harness
        var rooms: Set<String> = []
        var linked = true
    }
    var nodes: [String: Node] = [:]
    var order: [String] = []
    /// The shared history lists, by room.
    var history: [String: [[UInt8]]] = [:]
    /// Every event published, as (node, channel, line): what went over the wire.
    var published: [(node: String, channel: String, line: String)] = []

    func add(_ id: String, name: String, ttl: Duration = .seconds(8)) -> Harness {
        let harness = Harness { $0.name = name }
        harness.server.joinCluster(nodeID: id, ttl: ttl, now: harness.now)
        nodes[id] = Node(harness: harness)
        order.append(id)
        harness.server.clusterLinkUp(wasLost: false)
        pump()
        return harness
    }

    /// Delivers until nobody has anything more to say.
    func pump() {
        var busy = true
        while busy {
            busy = false
            for id in order {
                guard let node = nodes[id], node.linked else { continue }
                let subscriptions = node.harness.server.takeClusterSubscriptions()
                nodes[id]!.rooms.formUnion(subscriptions.listen)
                nodes[id]!.rooms.subtract(subscriptions.stop)
                let work = node.harness.server.takeClusterHistoryWork()
                for (room, line) in work.store { history[room, default: []] = (history[room, default: []] + [line]).suffix(work.keep) }
                for room in work.fetch { node.harness.server.clusterHistory(of: room, lines: history[room] ?? []) }
                for event in node.harness.server.takeClusterEvents() {
                    busy = true
                    published.append((id, ClusterEvent.channel(event.route), String(decoding: event.line, as: UTF8.self)))
                    for other in order {
                        guard let receiver = nodes[other], receiver.linked else { continue }
                        let hears: Bool
                        switch event.route {
                        case .control: hears = true
                        case .room(let folded): hears = receiver.rooms.contains(folded)
                        case .node(let target): hears = target == other
                        }
                        if hears { receiver.harness.server.clusterReceive(event.line[...], now: receiver.harness.now) }
                    }
                }
            }
        }
    }

    /// Time passes on every node (beats go out, silent nodes are given up).
    func advance(by duration: Duration, except silent: Set<String> = []) {
        let step = Duration.seconds(1)
        var passed = Duration.zero
        while passed < duration {
            passed += step
            for id in order {
                let harness = nodes[id]!.harness
                harness.advance(by: step)
                if !silent.contains(id) { harness.server.clusterHeartbeat(now: harness.now) }
            }
            for id in silent { _ = nodes[id]?.harness.server.takeClusterEvents() }
            pump()
        }
    }
}

final class ClusterCoreTests: XCTestCase {
    var redis: FakeRedis!
    var a: Harness!, b: Harness!, c: Harness!

    override func setUp() {
        redis = FakeRedis()
        a = redis.add("na", name: "a.test")
        b = redis.add("nb", name: "b.test")
        c = redis.add("nc", name: "c.test")
    }

    func send(_ harness: Harness, _ client: FakeClient, _ line: String) {
        harness.send(client, line)
        redis.pump()
    }

    /// alice (IRC) on a and carol (IRC) on c, both in #ops, what they were told so far read.
    func twoInOps() -> (alice: FakeClient, carol: FakeClient) {
        let alice = a.ircUser("alice")
        let carol = c.ircUser("carol")
        redis.pump()
        send(a, alice, "JOIN #ops")
        send(c, carol, "JOIN #ops")
        _ = (alice.take(), carol.take())
        return (alice, carol)
    }

    /// alice (IRC) on a, bob (plain) on b, carol (IRC) on c, all in #ops, what they were told so far read.
    func threeInOps() -> (alice: FakeClient, bob: FakeClient, carol: FakeClient) {
        let alice = a.ircUser("alice")
        let bob = b.plainUser(nick: "bob")
        let carol = c.ircUser("carol")
        redis.pump()
        send(a, alice, "JOIN #ops")
        send(b, bob, "/join #ops")
        send(c, carol, "JOIN #ops")
        _ = (alice.take(), bob.take(), carol.take())
        return (alice, bob, carol)
    }

    func testMessagesReachEveryNodeOnceInEachDialect() {
        let (alice, bob, carol) = threeInOps()

        send(a, alice, "PRIVMSG #ops :hello from a")
        XCTAssertEqual(bob.take(), ["<alice> hello from a"])
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 PRIVMSG #ops :hello from a"])
        XCTAssertEqual(alice.take(), [])

        send(b, bob, "waves back")
        XCTAssertEqual(alice.take(), [":bob!guest1@127.0.0.1 PRIVMSG #ops :waves back"])
        XCTAssertEqual(carol.take(), [":bob!guest1@127.0.0.1 PRIVMSG #ops :waves back"])
        send(b, bob, "/me grins")
        XCTAssertEqual(carol.take(), [":bob!guest1@127.0.0.1 PRIVMSG #ops :\u{1}ACTION grins\u{1}"])
        XCTAssertEqual(alice.take().count, 1)
    }

    func testAPlainUsersLongestLineIsWholeForPlainReadersAndCutForIRCOnEveryNode() {
        let alice = a.ircUser("alice")
        let bob = b.plainUser(nick: "bob")
        let dave = c.plainUser(nick: "dave")
        redis.pump()
        for (harness, client) in [(b!, bob), (c!, dave)] { send(harness, client, "/join #ops") }
        send(a, alice, "JOIN #ops")
        _ = (alice.take(), bob.take(), dave.take())
        // 500 bytes: within what a plain user may send, past what fits an IRC line with bob's prefix.
        let long = (1...100).map { String(format: "w%03d", $0) }.joined(separator: " ")
        send(b, bob, long)
        b.advance(by: .seconds(10))  // flood control: a long line costs more than one token
        redis.pump()
        let irc = alice.take()
        XCTAssertEqual(irc.count, 1)
        XCTAssertEqual(irc.first?.utf8.count, 510, "cut to fit, as on one server")
        let plain = dave.take()
        XCTAssertGreaterThan(plain.count, 1)
        XCTAssertEqual(plain.map { $0.hasPrefix("<bob> ") ? String($0.dropFirst(6)) : $0 }.joined(separator: " "), long)
    }

    func testAnOperatorKillsSomeoneOnAnotherNodeThroughTheirNode() {
        let admin = a.connect()
        a.server.reconfigure({ var config = a.server.config; config.operators = ["admin": "pw"]; return config }())
        a.send(admin, "NICK admin")
        a.send(admin, "USER admin 0 * :admin")
        a.send(admin, "OPER admin pw")
        let eve = b.ircUser("eve")
        let carol = c.ircUser("carol")
        redis.pump()
        send(c, carol, "JOIN #ops")
        send(b, eve, "JOIN #ops")
        _ = (admin.take(), carol.take(), eve.take())
        send(a, admin, "WALLOPS :maintenance at noon")
        send(a, admin, "KILL eve :spam")
        XCTAssertEqual(eve.take(), [
            ":admin!admin@127.0.0.1 KILL eve :spam",
            "ERROR :Closing Link: 127.0.0.1 (Killed (admin (spam)))",
        ])
        XCTAssertTrue(eve.closed)
        XCTAssertEqual(carol.take(), [":eve!eve@127.0.0.1 QUIT :Killed (admin (spam))"])
        XCTAssertEqual(admin.take(), [":admin!admin@127.0.0.1 WALLOPS :maintenance at noon"])
    }

    func testJoinsPartsAndQuitsAreSeenAcrossNodes() {
        let alice = a.ircUser("alice")
        let carol = c.ircUser("carol")
        redis.pump()
        send(c, carol, "JOIN #ops")
        _ = carol.take()
        send(a, alice, "JOIN #ops")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 JOIN #ops"])
        // carol opened the room: she is its operator on alice's node too.
        let names = alice.take()
        XCTAssertTrue(names.contains(":a.test 353 alice = #ops :@carol alice"), "\(names)")
        send(a, alice, "PART #ops :later")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 PART #ops :later"])
        send(a, alice, "JOIN #ops")
        _ = carol.take()
        send(a, alice, "QUIT :bye now")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 QUIT :Quit: bye now"])
        XCTAssertEqual(c.server.remoteUserCount, 0)
    }

    func testQueriesSeeTheWholeCluster() {
        let (_, _, carol) = threeInOps()
        send(c, carol, "NAMES #ops")
        XCTAssertEqual(carol.take(), [":c.test 353 carol = #ops :@alice bob carol", ":c.test 366 carol #ops :End of /NAMES list"])
        send(c, carol, "WHOIS bob")
        let whois = carol.take()
        XCTAssertTrue(whois.contains(":c.test 311 carol bob guest1 127.0.0.1 * :guest1"), "\(whois)")
        XCTAssertTrue(whois.contains(":c.test 312 carol bob b.test :relay"), "\(whois)")
        XCTAssertTrue(whois.contains(":c.test 319 carol bob :#ops"), "\(whois)")
        send(c, carol, "WHO #ops")
        XCTAssertEqual(carol.take(), [
            ":c.test 352 carol #ops alice 127.0.0.1 a.test alice H@ :0 alice Real",
            ":c.test 352 carol #ops guest1 127.0.0.1 b.test bob H :0 guest1",
            ":c.test 352 carol #ops carol 127.0.0.1 c.test carol H :0 carol Real",
            ":c.test 315 carol #ops :End of /WHO list",
        ])
        c.advance(by: .seconds(10))  // flood control: queries cost more than lines
        send(c, carol, "LIST")
        XCTAssertTrue(carol.take().contains(":c.test 322 carol #ops 3 :"))
        c.advance(by: .seconds(10))
        send(c, carol, "LUSERS")
        let lusers = carol.take()
        XCTAssertTrue(lusers.contains(":c.test 251 carol :There are 3 users and 0 invisible on 3 servers"), "\(lusers)")
        XCTAssertTrue(lusers.contains(":c.test 255 carol :I have 1 clients and 2 servers"), "\(lusers)")
        XCTAssertTrue(lusers.contains(":c.test 266 carol 3 3 :Current global users 3, max 3"), "\(lusers)")
    }

    func testMonitorAndPrivateMessagesCrossNodes() {
        let carol = c.ircUser("carol")
        send(c, carol, "MONITOR + dave")
        XCTAssertEqual(carol.take(), [":c.test 731 carol :dave"])
        let dave = a.ircUser("dave")
        redis.pump()
        XCTAssertEqual(carol.take(), [":c.test 730 carol :dave!dave@127.0.0.1"])
        send(c, carol, "PRIVMSG dave :psst")
        XCTAssertEqual(dave.take(), [":carol!carol@127.0.0.1 PRIVMSG dave :psst"])
        // Only dave's node was told: a private message is not broadcast.
        XCTAssertEqual(redis.published.filter { $0.line.contains("psst") }.map(\.channel), ["relay:node:na"])
        send(a, dave, "QUIT")
        XCTAssertEqual(carol.take(), [":c.test 731 carol :dave"])
    }

    func testRoomMessagesGoOnlyToNodesWithMembersThere() {
        let alice = a.ircUser("alice")
        let carol = c.ircUser("carol")
        _ = b.ircUser("bystander")
        redis.pump()
        send(a, alice, "JOIN #quiet")
        send(c, carol, "JOIN #quiet")
        XCTAssertEqual(redis.nodes["nb"]!.rooms, [])
        XCTAssertEqual(redis.nodes["na"]!.rooms, ["#quiet"])
        send(a, alice, "PRIVMSG #quiet :shh")
        let said = redis.published.filter { $0.line.contains("shh") }
        XCTAssertEqual(said.map(\.channel), ["relay:room:#quiet"])
        // The same bytes are the room's shared history entry: serialized once.
        XCTAssertEqual(redis.history["#quiet"]?.map { String(decoding: $0, as: UTF8.self) }, said.map(\.line))
        send(c, carol, "PART #quiet")
        XCTAssertEqual(redis.nodes["nc"]!.rooms, [])
    }

    func testTopicModesAndKicksAreAppliedEverywhere() {
        let (alice, carol) = twoInOps()
        send(a, alice, "TOPIC #ops :release at noon")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 TOPIC #ops :release at noon"])
        send(a, alice, "MODE #ops +m")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 MODE #ops +m"])
        _ = alice.take()
        // +m holds on carol's node too: she may not speak.
        send(c, carol, "PRIVMSG #ops :hello?")
        XCTAssertEqual(carol.take(), [":c.test 404 carol #ops :Cannot send to channel (moderated)"])
        XCTAssertEqual(alice.take(), [])
        send(a, alice, "KICK #ops carol :enough")
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 KICK #ops carol :enough"])
        XCTAssertEqual(alice.take(), [":alice!alice@127.0.0.1 KICK #ops carol :enough"])
        send(c, carol, "NAMES #ops")
        XCTAssertEqual(carol.take().first, ":c.test 353 carol = #ops :@alice")
    }

    func testAnInviteLetsSomeoneIntoAnInviteOnlyRoomOnTheirOwnNode() {
        let alice = a.ircUser("alice")
        let bob = b.ircUser("bob")
        redis.pump()
        send(a, alice, "JOIN #vip")
        send(a, alice, "MODE #vip +i")
        send(b, bob, "JOIN #vip")
        XCTAssertEqual(bob.take(), [":b.test 473 bob #vip :Cannot join channel (+i)"])
        send(a, alice, "INVITE bob #vip")
        XCTAssertEqual(bob.take(), [":alice!alice@127.0.0.1 INVITE bob #vip"])
        send(b, bob, "JOIN #vip")
        XCTAssertEqual(bob.take().first, ":bob!bob@127.0.0.1 JOIN #vip")
        XCTAssertTrue(alice.take().contains(":bob!bob@127.0.0.1 JOIN #vip"))
    }

    func testClientTagsCrossNodes() {
        let alice = a.ircv3User("alice", caps: "message-tags")
        let carol = c.ircv3User("carol", caps: "message-tags")
        redis.pump()
        send(a, alice, "JOIN #ops")
        send(c, carol, "JOIN #ops")
        _ = (alice.take(), carol.take())
        send(a, alice, "@+typing=active TAGMSG #ops")
        XCTAssertEqual(carol.take().map { FakeClient.tag("+typing", of: $0) }, ["active"])
        send(a, alice, "@+draft/reply=abc;+example.com/x=a\\sb :alice PRIVMSG #ops :yes")
        let line = carol.take().first ?? ""
        XCTAssertEqual(FakeClient.tag("+draft/reply", of: line), "abc")
        XCTAssertEqual(FakeClient.tag("+example.com/x", of: line), "a\\sb")
        XCTAssertTrue(line.hasSuffix(" :alice!alice@127.0.0.1 PRIVMSG #ops :yes"), line)
        send(c, carol, "@+typing=paused TAGMSG alice")
        XCTAssertEqual(alice.take().map { FakeClient.tag("+typing", of: $0) }, ["paused"])
    }

    func testASilentNodesUsersQuitEverywhereWithinTheTTL() {
        let (_, carol) = twoInOps()
        redis.nodes["na"]!.linked = false  // node a dies: no more beats, no events
        redis.advance(by: .seconds(5), except: ["na"])
        XCTAssertEqual(carol.take(), [], "trusted for 3/4 of the 8 s TTL")
        redis.advance(by: .seconds(3), except: ["na"])
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 QUIT :a.test stopped answering"])
        XCTAssertEqual(c.server.remoteUserCount, 0)
        XCTAssertEqual(c.server.clusterPeerCount, 1)
    }

    func testANodeThatStopsSaysSoAndItsUsersQuitAtOnce() {
        let (_, carol) = twoInOps()
        a.server.clusterLeave(reason: "Server shutting down")
        redis.pump()
        XCTAssertEqual(carol.take(), [":alice!alice@127.0.0.1 QUIT :Server shutting down"])
    }

    func testANickTakenOnTwoNodesAtOnceEndsWithTheOlderClaimEverywhere() {
        // Both register "dave" before either hears of the other.
        a.wallClock += 1
        let first = b.ircUser("dave")
        a.wallClock += 1
        let second = a.ircUser("dave")
        redis.pump()
        XCTAssertEqual(first.take(), [])
        XCTAssertEqual(second.take(), [
            ":a.test NOTICE dave :dave was already in use on another server of relay; you are now na-1",
            ":dave!dave@127.0.0.1 NICK na-1",
        ])
        let carol = c.ircUser("carol")
        send(c, carol, "WHOIS dave")
        XCTAssertTrue(carol.take().contains(":c.test 312 carol dave b.test :relay"))
        send(c, carol, "WHOIS na-1")
        XCTAssertTrue(carol.take().contains(":c.test 312 carol na-1 a.test :relay"))
        // A nick someone holds on another node is refused at once.
        let late = c.connect()
        c.send(late, "NICK dave")
        XCTAssertEqual(late.take(), [":c.test 433 * dave :Nickname is already in use"])
    }

    func testLosingRedisLeavesLocalUsersAndTheSnapshotRestoresTheRest() {
        let alice = a.ircUser("alice")
        let bob = b.plainUser(nick: "bob")
        redis.pump()
        send(a, alice, "JOIN #ops")
        send(b, bob, "/join #ops")
        send(a, alice, "TOPIC #ops :kept")
        send(a, alice, "JOIN #x")  // a room with nobody from b in it: b forgets it while cut off
        send(a, alice, "MODE #x +sb eve!*@*")
        _ = (alice.take(), bob.take())

        b.server.clusterLinkDown(reason: "Connection refused")
        redis.nodes["nb"]!.linked = false
        XCTAssertEqual(bob.take(), [
            "-!- Lost the link to the rest of the network (Connection refused); you see only people on b.test until it is back.",
            "-!- alice quit (b.test lost the network)",
        ])
        redis.advance(by: .seconds(8), except: ["nb"])
        XCTAssertEqual(alice.take(), [":bob!guest1@127.0.0.1 QUIT :b.test stopped answering"])

        redis.nodes["nb"]!.linked = true
        b.server.clusterLinkUp(wasLost: true)
        redis.pump()
        XCTAssertEqual(bob.take(), ["-!- The link to the rest of the network is back.", "-!- alice joined #ops"])
        XCTAssertEqual(alice.take(), [":bob!guest1@127.0.0.1 JOIN #ops"])
        send(b, bob, "/topic")
        XCTAssertEqual(bob.take(), ["-!- Topic of #ops: kept (set by alice)"])
        XCTAssertEqual(b.server.rooms["#x"]?.modes.bans.map(\.mask), ["eve!*@*"], "lists come back with the room")
        XCTAssertEqual(b.server.rooms["#x"]?.modes.secret, true)
        send(b, bob, "still here")
        XCTAssertEqual(alice.take(), [":bob!guest1@127.0.0.1 PRIVMSG #ops :still here"])
    }

    func testWhatWasSaidBeforeANodeHadMembersInARoomIsReadBackFromTheSharedHistory() {
        let alice = a.ircUser("alice")
        redis.pump()
        send(a, alice, "JOIN #ops")
        send(a, alice, "PRIVMSG #ops :deploy at noon")
        send(a, alice, "PRIVMSG #ops :\u{1}ACTION pours coffee\u{1}")
        send(a, alice, "NOTICE #ops :not kept")
        XCTAssertEqual(redis.history["#ops"]?.count, 2)
        // Nobody on c was there: c never heard it, Redis kept it.
        let carol = c.plainUser(nick: "carol")
        send(c, carol, "/join #ops")
        XCTAssertEqual(carol.take().suffix(3), [
            "-!- Recent messages in #ops:",
            "<alice> deploy at noon",
            "* alice pours coffee",
        ])
        send(a, alice, "PRIVMSG #ops :welcome")
        let dave = c.plainUser(nick: "dave")
        send(c, dave, "/join #ops")
        XCTAssertEqual(dave.take().suffix(4), [
            "-!- Recent messages in #ops:", "<alice> deploy at noon", "* alice pours coffee", "<alice> welcome",
        ])
    }

    func testANodeReconnectingInALoopCostsTheOthersOneSnapshotASecond() {
        _ = a.ircUser("alice")
        redis.pump()
        let before = redis.published.filter { $0.node == "na" && $0.line.contains(" USER ") }.count
        func snapshots() -> Int { redis.published.filter { $0.node == "na" && $0.line.contains(" USER ") }.count - before }
        // Twenty HELLOs in the same instant (a node flapping).
        for flap in 0..<20 { a.server.clusterReceive(ArraySlice("@n=nflap\(flap) HELLO flap.test".utf8), now: a.now) }
        redis.pump()
        XCTAssertEqual(snapshots(), 3, "5 at once, 2 of them spent answering b and c at the start")
        // What is owed goes out with the next beat (one for all), then one a beat at most.
        redis.advance(by: .seconds(2))
        XCTAssertEqual(snapshots(), 4)
        redis.advance(by: .seconds(2))
        XCTAssertEqual(snapshots(), 4, "nothing owed, nothing sent")
    }

    func testEventsFromStrangersOrItselfAreIgnored() {
        let carol = c.ircUser("carol")
        for line in ["garbage", "@n=NOPE;u=1 USER x x x irc 0 0 - * x r", "@n=nc;u=99 USER eve e h irc 0 0 - * c.test r",
                     "@n=nz USER nouid", "@n=nz;u=1 QUIT", "@n=nz;u=1 PRIVMSG carol :who am i"] {
            c.server.clusterReceive(ArraySlice(line.utf8), now: c.now)
        }
        XCTAssertEqual(c.server.remoteUserCount, 0)
        XCTAssertEqual(carol.take(), [])
        // A node whose id begins with this one's is another node.
        c.server.clusterReceive(ArraySlice("@n=nc1;u=5 USER eve e h irc 0 0 - * x.test r".utf8), now: c.now)
        XCTAssertEqual(c.server.remoteUserCount, 1)
    }
}
