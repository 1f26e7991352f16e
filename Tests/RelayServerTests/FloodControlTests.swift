@testable import RelayServer
import XCTest

final class FloodControlTests: XCTestCase {
    func testBurstThenPacedAndNothingLost() {
        let harness = Harness { $0.floodBurst = 5; $0.floodRate = 2 }
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        _ = ana; _ = bob
        harness.advance(by: .seconds(10))  // refill the bucket the registration used
        for index in 1...20 { harness.send(ana, "PRIVMSG bob :\(index)") }
        XCTAssertEqual(bob.take().count, 5, "the burst goes at once")
        harness.advance(by: .milliseconds(500))
        XCTAssertEqual(bob.take().count, 1)
        harness.advance(by: .seconds(10))
        let rest = bob.take()
        XCTAssertEqual(rest.count, 14)
        XCTAssertEqual(rest.last, ":ana!ana@127.0.0.1 PRIVMSG bob :20")
    }

    func testTooMuchQueuedInputIsExcessFlood() {
        let harness = Harness { $0.floodBurst = 1; $0.floodQueueLimit = 1000 }
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        harness.advance(by: .seconds(10))
        _ = ana.take()
        for _ in 0..<20 { harness.send(bob, String(repeating: "z", count: 100)) }
        XCTAssertEqual(bob.take(), ["-!- Disconnected: you sent too much too fast (Excess Flood)"])
        XCTAssertTrue(bob.closed)
        XCTAssertEqual(ana.take().last, "-!- bob quit (Excess Flood)")
    }

    func testRateZeroTurnsItOff() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        for index in 1...300 { harness.send(ana, "PRIVMSG bob :\(index)") }
        XCTAssertEqual(bob.take().count, 300)
    }

    /// Burst and rate are the server's: a reload changes them for everyone
    /// already connected, from their next line.
    func testAReloadAppliesToUsersAlreadyConnected() {
        let harness = Harness { $0.floodBurst = 5; $0.floodRate = 2 }
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.advance(by: .seconds(10))
        var new = harness.server.config
        new.floodBurst = 2
        _ = harness.server.reconfigure(new)
        for index in 1...10 { harness.send(ana, "PRIVMSG bob :\(index)") }
        XCTAssertEqual(bob.take().count, 2, "the new burst, not the 5 ana connected with")

        new.floodRate = 0
        _ = harness.server.reconfigure(new)
        for index in 11...100 { harness.send(ana, "PRIVMSG bob :\(index)") }
        harness.advance(by: .zero)  // the queue's timer, due now
        let rest = bob.take()
        XCTAssertEqual(rest.count, 98, "off: what was queued and everything after, at once")
        XCTAssertEqual(rest.first, ":ana!ana@127.0.0.1 PRIVMSG bob :3", "what was queued goes first")
        XCTAssertEqual(rest.map { $0.split(separator: ":").last! }, (3...100).map { "\($0)"[...] })
    }

    func testMaxPerIP() {
        let harness = Harness { $0.maxPerIP = 2; $0.maxPerIPExemptsLoopback = false }
        let first = harness.plainUser(), second = harness.plainUser()
        let third = harness.connect()
        XCTAssertEqual(third.take(), ["ERROR :Closing Link: 127.0.0.1 (Too many connections from 127.0.0.1 (at most 2))"])
        XCTAssertFalse(first.closed || second.closed)
    }
}
