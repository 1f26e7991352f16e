import Foundation
import Glibc
import XCTest

/// `relay bridge` between `relay serve` servers (and ngircd): groups, format,
/// loops, outages, kicks and refusals, seen by the people in the rooms.
final class BridgeEndToEndTests: XCTestCase {
    private let z = "\u{200B}"

    private func member(_ server: RelayProcess, room: String, nick: String) throws -> TestClient {
        let client = try TestClient(port: server.port)
        client.sendLine("/nick \(nick)")
        client.sendLine("/join \(room)")
        client.waitFor("-!- You are now known as \(nick)")
        XCTAssertNotNil(client.waitFor { $0.hasPrefix("-!- You joined \(room)") })
        return client
    }

    private func bridge(_ endpoints: [String], _ extra: [String] = []) throws -> RelayProcess {
        try RelayProcess(["bridge"] + endpoints + ["--nick", "bridge", "--rate", "0"] + extra)
    }

    func testMessagesCrossBothWaysAndSurviveARestartWithNothingLost() throws {
        let a = try RelayProcess.serve()
        var b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        var bob = try member(b, room: "#dev", nick: "bob")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev"])
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("hello from a")
        bob.waitFor("<bridge> \(z)<a\(z)na> hello from a")
        bob.sendLine("/me waves back")
        ana.waitFor("* bridge \(z)b\(z)ob waves back")

        // B goes away; what A says meanwhile arrives once, in order, when B is back.
        let port = b.port
        b.stop()
        for index in 1...5 { ana.sendLine("while b was down \(index)") }
        b = try RelayProcess(["serve", "--port", String(port)])
        try b.waitForStartup()
        bob = try member(b, room: "#dev", nick: "bob")
        XCTAssertNotNil(bob.waitFor(timeout: 15) { $0.hasPrefix("-!- bridge") && $0.hasSuffix("joined #dev") })
        for index in 1...5 { bob.waitFor("<bridge> \(z)<a\(z)na> while b was down \(index)") }
        bob.sendLine("back again")
        ana.waitFor("<bridge> \(z)<b\(z)ob> back again")
        XCTAssertEqual(bob.drain(quiet: 0.5).filter { $0.contains("while b was down") }, [], "each once")
        XCTAssertTrue(bridge.waitForStderr("reconnecting in"), bridge.stderr)

        bridge.signal(SIGUSR1)
        XCTAssertTrue(bridge.waitForStderr("bridge: 127.0.0.1:\(port)/#dev: relayed"), bridge.stderr)
        bridge.signal(SIGTERM)
        XCTAssertEqual(bridge.waitForExit(), 0)
        ana.waitFor("-!- bridge quit (Quit: bridge stopping)")
    }

    func testAGroupOfThreeRoomsTwoOnOneServerEachLineOnceNoEcho() throws {
        let a = try RelayProcess.serve()
        let b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let foo = try member(a, room: "#foo", nick: "ana")
        let foo2 = try member(a, room: "#foo2", nick: "cy")
        let bar = try member(b, room: "#bar", nick: "bob")
        let other = try member(a, room: "#other", nick: "dee")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#foo", "irc://127.0.0.1:\(a.port)/#foo2",
                                 "irc://127.0.0.1:\(b.port)/#bar", "--relay-events", "--no-nick-guard"])
        defer { bridge.stop() }
        bar.waitFor("-!- bridge joined #bar")
        foo.waitFor("-!- bridge joined #foo")
        foo2.waitFor("-!- bridge joined #foo2")
        let connections = { (text: String) in text.components(separatedBy: "connected as").count - 1 }
        XCTAssertEqual(connections(bridge.waitForStderr { connections($0) >= 2 }), 2, "one connection per network")
        usleep(200_000)
        XCTAssertEqual(connections(bridge.stderr), 2, "and no more")
        foo.sendLine("one")
        foo2.waitFor("<bridge> \(z)<ana> one")
        bar.waitFor("<bridge> \(z)<ana> one")
        bar.sendLine("two")
        foo.waitFor("<bridge> \(z)<bob> two")
        foo2.waitFor("<bridge> \(z)<bob> two")
        let late = try member(b, room: "#bar", nick: "eve")
        foo.waitFor("-bridge- \(z)eve joined #bar")
        _ = late
        for client in [foo, foo2, bar] {
            XCTAssertEqual(client.drain(quiet: 0.5).filter { $0.hasPrefix("<bridge>") }, [], "exactly once, never echoed")
        }
        XCTAssertEqual(other.drain(quiet: 0.2).filter { $0.hasPrefix("<bridge>") }, [], "rooms outside the group hear nothing")
    }

    func testANamesakeIsRelayedAndTwoBridgesMakeOneCopyEach() throws {
        let a = try RelayProcess.serve()
        let b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        let bob = try member(b, room: "#dev", nick: "bob")
        let endpoints = ["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev"]
        let one = try RelayProcess(["bridge"] + endpoints + ["--nick", "relay", "--rate", "0"])
        defer { one.stop() }
        bob.waitFor("-!- relay joined #dev")
        ana.waitFor("-!- relay joined #dev")
        let two = try RelayProcess(["bridge"] + endpoints + ["--nick", "second", "--rate", "0"])
        defer { two.stop() }
        bob.waitFor("-!- second joined #dev")
        ana.waitFor("-!- second joined #dev")
        ana.sendLine("ping")
        let copies = (bob.drain(quiet: 1.5) + bob.drain(quiet: 0.5)).filter { $0.contains("<a\(z)na> ping") }
        XCTAssertEqual(copies.count, 2, "one per bridge, and they never feed each other: \(copies)")
        XCTAssertEqual(ana.drain(quiet: 0.5).filter { $0.contains("ping") }, [], "nothing comes back")
        _ = two

        // A real user called "relay" on B, where the bridge is "keeper": relayed.
        one.stop()
        two.stop()
        let third = try RelayProcess(["bridge", "irc://relay@127.0.0.1:\(a.port)/#dev", "irc://keeper@127.0.0.1:\(b.port)/#dev",
                                      "--rate", "0"])
        defer { third.stop() }
        bob.waitFor("-!- keeper joined #dev")
        ana.waitFor("-!- relay joined #dev")
        let namesake = try ircUser(port: b.port, nick: "relay", room: "#dev")
        namesake.sendLine("PRIVMSG #dev :I am a person")
        ana.waitFor("<relay> \(z)<r\(z)elay> I am a person")
    }

    func testABacklogOverflowIsCountedAndTheRoomIsTold() throws {
        let a = try RelayProcess.serve()
        var b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        var bob = try member(b, room: "#dev", nick: "bob")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev"], ["--backlog", "3"])
        defer { bridge.stop() }
        bob.waitFor("-!- bridge joined #dev")
        ana.waitFor("-!- bridge joined #dev")
        let port = b.port
        b.stop()
        for index in 1...8 { ana.sendLine("line \(index)") }
        b = try RelayProcess(["serve", "--port", String(port)])
        try b.waitForStartup()
        bob = try member(b, room: "#dev", nick: "bob")
        for index in 6...8 { bob.waitFor("<bridge> \(z)<a\(z)na> line \(index)", timeout: 15) }
        bob.waitFor("-bridge- \(z)[bridge] 5 lines were not relayed here (the backlog of 3 lines or 10 min ran over)")
        XCTAssertTrue(bridge.waitForStderr("#dev: dropped 5 line(s)"), bridge.stderr)
    }

    func testARoomTalkingFasterThanTheRateLosesTheOldestLinesCountedAndSaid() throws {
        let a = try RelayProcess.serve(["--flood-rate", "0"])
        let b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        let bob = try member(b, room: "#dev", nick: "bob")
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev",
                                       "--nick", "bridge", "--rate", "4", "--backlog", "3"])
        defer { bridge.stop() }
        bob.waitFor("-!- bridge joined #dev")
        ana.waitFor("-!- bridge joined #dev")
        for index in 1...20 { ana.sendLine("fast \(index)") }
        var seen: [String] = []
        while let line = bob.readLine(timeout: 4) { seen.append(line) }
        let notices = seen.filter { $0.hasPrefix("-bridge- \(z)[bridge] ") && $0.contains(" not relayed here") }
        XCTAssertEqual(notices.count, 1, "one report once the backlog is through: \(seen)")
        let dropped = notices.first.flatMap { Int($0.split(separator: " ")[2]) } ?? 0
        let arrived = seen.filter { $0.contains("<a\(z)na> fast") }
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertEqual(arrived.count + dropped, 20, "every line either arrived or was counted")
        XCTAssertEqual(arrived.last, "<bridge> \(z)<a\(z)na> fast 20", "the newest lines are the ones kept")
        bridge.signal(SIGUSR1)
        XCTAssertTrue(bridge.waitForStderr("waiting 0, dropped \(dropped)"), "per-room counters: \(bridge.stderr)")
    }

    func testAKickedBridgeRejoinsAndARefusingNetworkIsLeftAlone() throws {
        let a = try RelayProcess.serve()
        let guarded = try RelayProcess.serve(environment: ["RELAY_PASSWORD": "right"])
        let c = try RelayProcess.serve()
        defer { a.stop(); guarded.stop(); c.stop() }
        let op = try ircUser(port: a.port, nick: "op", room: "#dev")
        let cy = try member(c, room: "#dev", nick: "cy")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#dev", "irc://wrong:nope@127.0.0.1:\(guarded.port)/#dev",
                                 "irc://127.0.0.1:\(c.port)/#dev"], ["--rejoin-delay", "1"])
        defer { bridge.stop() }
        XCTAssertNotNil(op.waitFor { $0.hasPrefix(":bridge!") && $0.contains(" JOIN ") })
        cy.waitFor("-!- bridge joined #dev")
        op.sendLine("KICK #dev bridge :out")
        XCTAssertNotNil(op.waitFor(timeout: 5) { $0.hasPrefix(":bridge!") && $0.contains(" JOIN ") }, "back after the delay")
        op.sendLine("PRIVMSG #dev :still bridged")
        cy.waitFor("<bridge> \(z)<o\(z)p> still bridged")
        XCTAssertTrue(bridge.waitForStderr("refused; leaving this network alone"), bridge.stderr)
        XCTAssertEqual(bridge.stderr.components(separatedBy: "refused the password").count - 1, 1, "no reconnect storm: \(bridge.stderr)")
        XCTAssertNil(bridge.waitForExit(timeout: 0.1))
    }

    func testExitCodesWhenNothingCanBeReached() throws {
        let nothing = try RelayRun.run(["bridge", "irc://127.0.0.1:\(freePort())/#a", "irc://127.0.0.1:\(freePort())/#b",
                                        "--timeout", "2"], timeout: 15)
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("no network could be reached within 2 s"), nothing.stderr)
        XCTAssertTrue(nothing.stderr.contains(": not reached (connect 127.0.0.1:"), nothing.stderr)
        XCTAssertFalse(nothing.stderr.contains("lost ("), "never reached is not lost: \(nothing.stderr)")
        let guarded = try RelayProcess.serve(environment: ["RELAY_PASSWORD": "right"])
        defer { guarded.stop() }
        let refused = try RelayRun.run(["bridge", "irc://x:no@127.0.0.1:\(guarded.port)/#a", "irc://y:no@127.0.0.1:\(guarded.port)/#b"],
                                       timeout: 15)
        XCTAssertEqual(refused.status, 3, refused.stderr)
        XCTAssertFalse(refused.stderr.contains("no@"), "the password is never shown")
    }

    func testACRLFInjectionArrivesAsText() throws {
        let a = try RelayProcess.serve()
        let b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let irc = try ircUser(port: a.port, nick: "ana", room: "#dev")
        let bob = try member(b, room: "#dev", nick: "bob")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev"])
        defer { bridge.stop() }
        bob.waitFor("-!- bridge joined #dev")
        XCTAssertNotNil(irc.waitFor { $0.hasPrefix(":bridge!") && $0.contains(" JOIN ") })
        irc.sendLine("PRIVMSG #dev :evil \\r\\nQUIT :x")
        bob.waitFor("<bridge> \(z)<a\(z)na> evil \\r\\nQUIT :x")
        XCTAssertNil(bridge.waitForExit(timeout: 0.2), "still running")
    }

    func testOneMemberOnNgircd() throws {
        let ngircd = try Ngircd()
        let a = try RelayProcess.serve()
        defer { a.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        let watcher = try ngircd.watcher(room: "#interop")
        let bridge = try bridge(["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(ngircd.port)/#interop"])
        defer { bridge.stop() }
        XCTAssertNotNil(watcher.waitFor(timeout: 10) { $0.hasPrefix(":bridge!") && $0.contains(" JOIN ") }, bridge.stderr)
        ana.waitFor("-!- bridge joined #dev")
        ana.sendLine("to ngircd")
        XCTAssertNotNil(watcher.waitFor { $0.hasPrefix(":bridge!") && $0.hasSuffix("PRIVMSG #interop :\(z)<a\(z)na> to ngircd") })
        watcher.sendLine("PRIVMSG #interop :from ngircd")
        ana.waitFor("<bridge> \(z)<w\(z)atcher> from ngircd")
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a", "irc://127.0.0.1:2"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a,#b", "irc://127.0.0.1:2/#c"]).status, 2, "one room per endpoint")
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a", "irc://127.0.0.1:2/#c", "--format", "<{nick}>"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a", "irc://127.0.0.1:2/#c", "--backlog-age", "soon"]).status, 2)
    }
}
