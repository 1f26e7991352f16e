import RelayIRC
@testable import RelayServer
import XCTest

/// What one hostile client can make the core hold or do: every limit, tried.
final class AbuseTests: XCTestCase {
    // MARK: Unprocessed input

    func testAFloodOfEmptyLinesIsExcessFloodNotFreeMemory() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        var lines = 0
        while !ana.closed && lines < 200_000 {
            harness.send(ana, "")
            lines += 1
        }
        XCTAssertTrue(ana.closed, "empty lines are counted against the queue's limit")
        XCTAssertLessThanOrEqual(lines, 64 * 1024 / 2 + 20, "two bytes an empty line")
        XCTAssertEqual(ana.take().last, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
    }

    func testAnUnregisteredFlooderIsCutOffAtTheSameLimit() {
        let harness = Harness()
        let flooder = harness.connect()
        var lines = 0
        while !flooder.closed && lines < 200_000 {
            harness.send(flooder, "a")
            lines += 1
        }
        XCTAssertTrue(flooder.closed)
        XCTAssertLessThanOrEqual(lines, 64 * 1024 / 3 + 20)
        XCTAssertEqual(flooder.take().last, "-!- Disconnected: you sent too much too fast (Excess Flood)")
    }

    func testTheQueueHoldsLinesAsBytesAndGivesThemBackInOrder() {
        var queue = InputQueue()
        queue.append(ArraySlice("one".utf8))
        queue.append([])
        queue.append(ArraySlice(String(repeating: "x", count: 8000).utf8))
        XCTAssertEqual(queue.cost, 3 + 2 + 2 + 8000 + 2)
        XCTAssertEqual(queue.popFirst(), Array("one".utf8))
        XCTAssertEqual(queue.popFirst(), [])
        XCTAssertEqual(queue.popFirst()?.count, 8000)
        XCTAssertNil(queue.popFirst())
        XCTAssertEqual(queue.cost, 0)
    }

    func testLinesHeldByFloodControlAreDroppedWhenTheSenderHangsUp() {
        let harness = Harness { $0.floodBurst = 2 }
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        harness.advance(by: .seconds(10))
        _ = bob.take()
        for index in 1...1500 { harness.send(ana, "line \(index)") }
        harness.server.connectionLost(ana.id, reason: "Remote host closed the connection", now: harness.now)
        harness.advance(by: .seconds(60))
        XCTAssertEqual(bob.take(), ["<ana> line 1", "<ana> line 2", "-!- ana quit (Remote host closed the connection)"])
    }

    // MARK: Expensive commands

    func testWhoCostsMoreThanAMessage() {
        let harness = Harness { $0.floodBurst = 10; $0.floodRate = 2 }
        let ana = harness.ircUser("ana")
        harness.advance(by: .seconds(10))
        _ = ana.take()
        for _ in 1...5 { harness.send(ana, "WHO *") }
        XCTAssertEqual(ana.take().filter { $0.contains(" 315 ") }.count, 2, "two WHOs fill a bucket of ten")
        harness.advance(by: .seconds(2))
        XCTAssertEqual(ana.take().filter { $0.contains(" 315 ") }.count, 1, "then one every two seconds")
        harness.advance(by: .seconds(10))
        XCTAssertEqual(ana.take().filter { $0.contains(" 315 ") }.count, 2, "none is lost")
    }

    func testWhichCommandsAreExpensive() {
        let expensive = ["WHO *", "who #a", "LIST", "NAMES", "@t=1 :ana WHO x", "WHOIS a*"]
        let cheap = ["PRIVMSG #a :WHO", "NAMES #a", "WHOIS ana", "PING x", ""]
        for line in expensive { XCTAssertTrue(ChatServer.isExpensive(ArraySlice(line.utf8), plain: false), line) }
        for line in cheap { XCTAssertFalse(ChatServer.isExpensive(ArraySlice(line.utf8), plain: false), line) }
        XCTAssertTrue(ChatServer.isExpensive(ArraySlice("/who".utf8), plain: true))
        XCTAssertTrue(ChatServer.isExpensive(ArraySlice("/ROOMS".utf8), plain: true))
        XCTAssertFalse(ChatServer.isExpensive(ArraySlice("who is here?".utf8), plain: true))
    }

    func testALongRealnameIsCutAndALongWhoMaskMatchesNothing() {
        let harness = Harness()
        let client = harness.connect()
        harness.send(client, "NICK ana")
        harness.send(client, "USER ana 0 * :" + String(repeating: "r", count: 400))
        _ = client.take()
        harness.send(client, "WHOIS ana")
        let whois = client.take().first { $0.contains(" 311 ") }
        XCTAssertEqual(whois, ":test.server 311 ana ana ana 127.0.0.1 * :" + String(repeating: "r", count: 100))
        harness.send(client, "WHO " + String(repeating: "*a", count: 60))
        XCTAssertEqual(client.take(), [":test.server 315 ana \(String(repeating: "*a", count: 60)) :End of /WHO list"])
    }

    func testBareNamesCoversOnlyTheUsersRooms() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(bob, "JOIN #elsewhere")
        harness.send(ana, "JOIN #mine")
        _ = ana.take()
        harness.send(ana, "NAMES")
        XCTAssertEqual(ana.take(), [
            ":test.server 353 ana = #mine :@ana",
            ":test.server 366 ana #mine :End of /NAMES list",
            ":test.server 366 ana * :End of /NAMES list",
        ])
    }

    // MARK: Secrets

    func testAPasswordLineIsNeverSaidInTheRoomWhenTheClientTurnsOutPlain() {
        let harness = Harness()
        let bob = harness.plainUser(nick: "bob")
        let stranger = harness.connect()
        harness.send(stranger, "PASS hunter2")
        harness.advance(by: .seconds(3))
        XCTAssertEqual(stranger.take().first, "-!- Welcome to relay, guest2! Type to talk, /help for commands.")
        harness.send(stranger, "hello")
        XCTAssertEqual(bob.take(), ["-!- guest2 joined #lobby", "<guest2> hello"])
        let later = harness.plainUser()
        harness.send(later, "/join #lobby")
        XCTAssertFalse(later.take().joined().contains("hunter2"), "nor in the history")
    }

    func testAnOperLineAfterAFirstIRCLookingLineIsNotSaidEither() {
        let harness = Harness()
        let bob = harness.plainUser(nick: "bob")
        let stranger = harness.connect()
        harness.send(stranger, "nick cy")
        harness.send(stranger, "oper admin s3cret")
        XCTAssertEqual(bob.take(), ["-!- guest2 joined #lobby", "<guest2> nick cy"])
    }

    // MARK: Plain users obey the rules

    func testAPlainNonOperatorCannotChangeAProtectedTopic() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #dev")
        harness.send(ana, "TOPIC #dev :the plan")
        let bob = harness.plainUser(nick: "bob")
        harness.send(bob, "/join dev")
        _ = bob.take(); _ = ana.take()
        harness.send(bob, "/topic defaced")
        XCTAssertEqual(bob.take(), ["-!- You are not an operator of #dev"])
        XCTAssertEqual(ana.take(), [])
    }

    func testPlainRoomsAndWhoHideSecretRoomsAndInvisibleMembersFromOutsiders() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), cy = harness.ircUser("cy")
        harness.send(ana, "JOIN #hidden")
        harness.send(ana, "MODE #hidden +s")
        harness.send(ana, "TOPIC #hidden :secret plans")
        harness.send(cy, "MODE cy +i")
        harness.send(cy, "JOIN #open")
        harness.send(ana, "JOIN #open")
        let bob = harness.plainUser(nick: "bob")
        harness.send(bob, "/rooms")
        let rooms = bob.take()
        XCTAssertFalse(rooms.joined().contains("hidden"), "\(rooms)")
        XCTAssertTrue(rooms.contains("-!-   #open (1 person)"), "\(rooms)")
        harness.send(bob, "/who #hidden")
        XCTAssertEqual(bob.take(), ["-!- There is no room called #hidden"])
        harness.advance(by: .seconds(5))  // /who costs four flood tokens
        harness.send(bob, "/who #open")
        XCTAssertEqual(bob.take(), ["-!- In #open (1): ana"])
    }

    // MARK: Names and modes

    func testRoomNamesWithControlCharactersAreRefused() {
        for name in ["#x\u{1B}[2J", "#a\u{7}", "#c1\u{9B}2J", "#del\u{7F}"] {
            XCTAssertFalse(Names.isValidChannel(name, maxLength: 50), name.debugDescription)
        }
        XCTAssertTrue(Names.isValidChannel("#café", maxLength: 50))
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #x\u{1B}[2J")
        XCTAssertEqual(ana.take(), [":test.server 403 ana #x\u{1B}[2J :No such channel"])
        let bob = harness.plainUser(nick: "bob")
        harness.send(bob, "/join #c1\u{9B}2J")
        XCTAssertEqual(bob.take(), ["-!- There is no room called #c12J"], "said without the control characters")
        XCTAssertEqual(harness.server.roomCount, 1, "only the lobby")
    }

    func testUnknownModeLettersGetOneReplyAndLongMasksAreRefused() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #dev")
        _ = ana.take()
        harness.send(ana, "MODE #dev +" + String(repeating: "yzYZ", count: 120))
        XCTAssertEqual(ana.take(), [":test.server 472 ana y :is unknown mode char to me"])
        let long = String(repeating: "a", count: 200) + "!*@*"
        harness.send(ana, "MODE #dev +b \(long)")
        XCTAssertEqual(ana.take().first?.hasPrefix(":test.server 696 ana #dev b "), true)
        harness.send(ana, "MODE #dev b")
        XCTAssertEqual(ana.take(), [":test.server 368 ana #dev :End of channel ban list"])
    }

    // MARK: Slots

    func testAddressesAreCountedPerIPv4AndPerIPv6Slash64() {
        XCTAssertEqual(AddressGroup.key("192.0.2.7"), "192.0.2.7")
        XCTAssertEqual(AddressGroup.key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
        XCTAssertEqual(AddressGroup.key("2001:db8:1:2::ffff"), "2001:db8:1:2::/64")
        XCTAssertEqual(AddressGroup.key("::ffff:198.51.100.3"), "198.51.100.3")
        XCTAssertTrue(AddressGroup.isLoopback("127.0.0.1"))
        XCTAssertTrue(AddressGroup.isLoopback("0::1"))
        XCTAssertTrue(AddressGroup.isLoopback("::ffff:127.0.0.2"))
        XCTAssertFalse(AddressGroup.isLoopback("2001:db8::1"))

        let harness = Harness { $0.maxPerIP = 2 }
        var clients: [FakeClient] = []
        for index in 1...3 {
            let client = FakeClient(id: 100 + index)
            harness.server.accept(client.id, endpoint: client, host: "2001:db8:0:1::\(index)", now: harness.now)
            clients.append(client)
        }
        XCTAssertEqual(clients[2].take(), ["ERROR :Closing Link: 2001:db8:0:1::3 (Too many connections from 2001:db8:0:1::3 (2001:db8:0:1::/64) (at most 2))"])
        let elsewhere = FakeClient(id: 200)
        harness.server.accept(200, endpoint: elsewhere, host: "2001:db8:0:2::1", now: harness.now)
        XCTAssertFalse(elsewhere.closed, "another /64")
    }

    func testLoopbackIsExemptUnlessTheLimitWasSetExplicitly() {
        let relaxed = Harness { $0.maxPerIP = 1 }
        let a = relaxed.connect(), b = relaxed.connect()
        XCTAssertFalse(a.closed || b.closed)
        let strict = Harness { $0.maxPerIP = 1; $0.maxPerIPExemptsLoopback = false }
        _ = strict.connect()
        XCTAssertTrue(strict.connect().closed)
    }

    func testATLSConnectionIsNotAGuestBeforeItsHandshakeAndTimesOut() {
        let harness = Harness { $0.registrationTimeout = .seconds(5) }
        let client = FakeClient(id: 50)
        harness.server.accept(50, endpoint: client, host: "127.0.0.1", secure: true, awaitingHandshake: true, now: harness.now)
        harness.advance(by: .seconds(4))
        XCTAssertEqual(client.take(), [], "silence before the handshake is not a plain user")
        harness.advance(by: .seconds(1))
        XCTAssertTrue(client.closed)

        let other = FakeClient(id: 51)
        harness.server.accept(51, endpoint: other, host: "127.0.0.1", secure: true, awaitingHandshake: true, now: harness.now)
        harness.advance(by: .seconds(3))
        harness.server.secured(51, now: harness.now)
        harness.advance(by: .seconds(1))
        XCTAssertEqual(other.take().first, "-!- Welcome to relay, guest1! Type to talk, /help for commands.")
    }

    // MARK: The log

    func testTextLogValuesCannotCarryControlCharacters() {
        let event = ServerLogEvent(.warn, "oper-refused", [("name", "\u{1B}]0;pwned\u{7}"), ("nick", "a\\b"), ("c1", "x\u{9B}2J")])
        XCTAssertEqual(event.text, #"oper-refused name=\x1b]0;pwned\x07 nick=a\\b c1=x\x9b2J"#)
    }

    // MARK: Reloading

    func testReconfigureAppliesLimitsAndNamesWhatNeedsARestart() {
        let harness = Harness { $0.maxPerIP = 1; $0.maxPerIPExemptsLoopback = false }
        var new = harness.server.config
        new.maxPerIP = 3
        new.floodRate = 5
        new.nickLength = 12
        new.name = "other.name"
        XCTAssertEqual(harness.server.reconfigure(new), ["name", "nick_length"])
        XCTAssertEqual(harness.server.config.maxPerIP, 3)
        XCTAssertEqual(harness.server.config.floodRate, 5)
        XCTAssertEqual(harness.server.config.nickLength, 30, "what 005 announced stays until a restart")
        XCTAssertEqual(harness.server.config.name, "test.server")
        let a = harness.connect(), b = harness.connect()
        XCTAssertFalse(a.closed || b.closed)
    }
}
