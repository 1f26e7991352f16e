import RelayClient
import RelayIRC
import XCTest

final class ClientTargetTests: XCTestCase {
    func testURLsAndBareHosts() throws {
        XCTAssertEqual(try ClientTarget.parse("irc://chat.example.org/#ops"), ClientTarget(host: "chat.example.org", rooms: ["#ops"]))
        XCTAssertEqual(try ClientTarget.parse("irc://h:7000/#a,#b"), ClientTarget(host: "h", port: 7000, rooms: ["#a", "#b"]))
        XCTAssertEqual(try ClientTarget.parse("irc://h/ops"), ClientTarget(host: "h", rooms: ["#ops"]), "a # is added")
        XCTAssertEqual(try ClientTarget.parse("h:6697"), ClientTarget(host: "h", port: 6697))
        XCTAssertEqual(try ClientTarget.parse("localhost"), ClientTarget(host: "localhost"))
        XCTAssertEqual(try ClientTarget.parse("irc://[::1]:6668/#x"), ClientTarget(host: "::1", port: 6668, rooms: ["#x"]))
        XCTAssertEqual(try ClientTarget.parse("IRC://h/").rooms, [])
    }

    func testIrcsMeansTLSOnPort6697UnlessAPortIsGiven() throws {
        XCTAssertEqual(try ClientTarget.parse("ircs://irc.example.org/#ops"),
                       ClientTarget(host: "irc.example.org", port: 6697, rooms: ["#ops"], tls: true))
        XCTAssertEqual(try ClientTarget.parse("ircs://ana:pw@[::1]:7000/#ops"),
                       ClientTarget(host: "::1", port: 7000, rooms: ["#ops"], nick: "ana", password: "pw", tls: true))
        XCTAssertFalse(try ClientTarget.parse("irc://h/#ops").tls)
    }

    func testTLSByOptionPicks6697UnlessThePortWasWritten() throws {
        XCTAssertEqual(try ClientTarget.parse("irc://h/#ops").withTLS().port, 6697, "irc://host/... --tls")
        XCTAssertEqual(try ClientTarget.parse("h").withTLS().port, 6697)
        XCTAssertEqual(try ClientTarget.parse("[::1]").withTLS().port, 6697)
        XCTAssertEqual(try ClientTarget.parse("irc://h:6667/#ops").withTLS().port, 6667, "a written port stays")
        XCTAssertEqual(try ClientTarget.parse("h:7000").withTLS().port, 7000)
        XCTAssertEqual(try ClientTarget.parse("ircs://h:7001/#x").withTLS().port, 7001)
        XCTAssertTrue(try ClientTarget.parse("h").withTLS().tls)
    }

    func testBadTargetsSayWhy() {
        for (text, why) in [("http://h/#x", "only irc://"), ("h:0", "port"), ("h:99999", "port"), ("h:abc", "port"),
                            ("irc:///#x", "no host"), ("irc://[::1/#x", "unclosed"), ("irc://h/#a b", "not a room")] {
            XCTAssertThrowsError(try ClientTarget.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(why), "\(text): \(error)")
            }
        }
    }

    func testUserinfoKeysAndPercentDecoding() throws {
        XCTAssertEqual(try ClientTarget.parse("irc://h/#room?key"),
                       ClientTarget(host: "h", rooms: ["#room"], keys: ["#room": "key"]), "?key is the key, not part of the name")
        XCTAssertEqual(try ClientTarget.parse("irc://h/%23lobby").rooms, ["#lobby"])
        XCTAssertEqual(try ClientTarget.parse("irc://h/caf%C3%A9").rooms, ["#café"])
        XCTAssertEqual(try ClientTarget.parse("irc://ana:s3cret@h:7000/#ops"),
                       ClientTarget(host: "h", port: 7000, rooms: ["#ops"], nick: "ana", password: "s3cret"))
        XCTAssertEqual(try ClientTarget.parse("irc://ana:p%40ss%3Aw@h/#ops").password, "p@ss:w")
        XCTAssertEqual(try ClientTarget.parse("irc://ana@[::1]/#a,#b?k1,k2"),
                       ClientTarget(host: "::1", rooms: ["#a", "#b"], keys: ["#a": "k1", "#b": "k2"], nick: "ana"))
        XCTAssertEqual(try ClientTarget.parse("irc://h/#a,#b?,k2").keys, ["#b": "k2"], "an empty key leaves its room unkeyed")
        XCTAssertEqual(try ClientTarget.parse("irc://h/#OPS,#ops").rooms, ["#OPS"], "one room, named once")
    }

    func testABadURLIsAnErrorThatNeverShowsThePassword() {
        for text in ["\u{1}cs://ana:s3cret@KICK /ce/y#?a", "http://ana:s3cret@h/#ops",  // found by fuzzing: a bad scheme
                     "ircs2//afa:s3crecs://afa:s3cret@#r~1k,k2",  // found by fuzzing: quoted back as a room name
                     "irc://ana:s3cret@h:0/#ops", "irc://ana:s3cret@h/#a b", "irc://ana:s3cret@/#ops", "irc://1ana:s3cret@h/#ops",
                     "irc://ana:s3cret@h/#ops?k1,k2", "irc://ana:s3cret@::1/#ops", "irc://ana:s3cret@h/%ZZ"] {
            XCTAssertThrowsError(try ClientTarget.parse(text), text) { error in
                XCTAssertFalse("\(error)".contains("s3cret"), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains("****"), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try ClientTarget.parse("irc://h/#a?bad key"))
        XCTAssertThrowsError(try ClientTarget.parse("irc://h/#a?" + String(repeating: "k", count: 24)), "keys are at most 23 bytes")
        XCTAssertThrowsError(try ClientTarget.parse("irc://[h]/#a"), "brackets are for IPv6")
    }

    func testAddressBracketsIPv6() {
        XCTAssertEqual(ClientTarget(host: "::1", port: 1).address, "[::1]:1")
        XCTAssertEqual(ClientTarget(host: "h").address, "h:6667")
    }
}

final class PacerTests: XCTestCase {
    func testBurstThenOneLinePerSecond() {
        let start = ContinuousClock.now
        var pacer = TokenBucket(burst: 5, rate: 1, now: start)
        XCTAssertEqual((0..<7).filter { _ in pacer.take(now: start) }.count, 5)
        XCTAssertEqual(pacer.nextToken(now: start), start + .seconds(1))
        XCTAssertFalse(pacer.take(now: start + .milliseconds(999)))
        XCTAssertTrue(pacer.take(now: start + .seconds(1)))
        XCTAssertFalse(pacer.take(now: start + .seconds(1)))
    }

    func testRateZeroIsOff() {
        let now = ContinuousClock.now
        var pacer = TokenBucket(burst: 5, rate: 0, now: now)
        XCTAssertTrue((0..<1000).allSatisfy { _ in pacer.take(now: now) })
    }

    func testBackoffGrowsWithJitterAndResets() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(8), jitter: 0.5)
        XCTAssertEqual(backoff.nextDelay(random: 0), .seconds(1))
        XCTAssertEqual(backoff.nextDelay(random: 0), .seconds(2))
        XCTAssertEqual(backoff.nextDelay(random: 1), .seconds(6))
        XCTAssertEqual(backoff.nextDelay(random: 0), .seconds(8))
        XCTAssertEqual(backoff.nextDelay(random: 0), .seconds(8), "capped")
        backoff.reset()
        XCTAssertEqual(backoff.nextDelay(random: 0), .seconds(1))
    }
}
