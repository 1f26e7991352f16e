@testable import RelayServer
import XCTest

final class PlainDialectTests: XCTestCase {
    func testSilenceMakesAPlainGuestInTheLobby() {
        let harness = Harness()
        let ana = harness.connect()
        XCTAssertEqual(ana.take(), [], "nothing before the dialect is known")
        harness.advance(by: .milliseconds(999))
        XCTAssertEqual(ana.take(), [])
        harness.advance(by: .milliseconds(1))
        XCTAssertEqual(ana.take(), [
            "-!- Welcome to relay, guest1! Type to talk, /help for commands.",
            "-!- You joined #lobby (just you)",
        ])
    }

    func testAFirstLineThatIsNotIRCMakesAPlainUserAndIsSaid() {
        let harness = Harness()
        let bob = harness.plainUser(nick: "bob")
        let ana = harness.connect()
        harness.send(ana, "hello everyone")
        XCTAssertEqual(ana.take(), [
            "-!- Welcome to relay, guest2! Type to talk, /help for commands.",
            "-!- You joined #lobby (2 people: bob, guest2)",
        ])
        XCTAssertEqual(bob.take(), ["-!- guest2 joined #lobby", "<guest2> hello everyone"])
    }

    func testMessagesReachEveryoneElseInTheRoomButNotTheSender() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob"), cy = harness.plainUser(nick: "cy")
        _ = ana.take(); _ = bob.take()
        harness.send(ana, "hi all")
        XCTAssertEqual(ana.take(), [])
        XCTAssertEqual(bob.take(), ["<ana> hi all"])
        XCTAssertEqual(cy.take(), ["<ana> hi all"])
    }

    func testJoinMovesAPlainUserAndRoomsAreSeparate() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob"), cy = harness.plainUser(nick: "cy")
        _ = ana.take(); _ = bob.take()
        harness.send(ana, "/join dev")
        XCTAssertEqual(ana.take(), ["-!- You left #lobby", "-!- You joined #dev (just you)"])
        XCTAssertEqual(bob.take(), ["-!- ana left #lobby"])
        harness.send(bob, "/join #DEV")
        XCTAssertEqual(ana.take(), ["-!- bob joined #dev"])
        harness.send(ana, "dev talk")
        XCTAssertEqual(bob.take(), ["-!- You left #lobby", "-!- You joined #dev (2 people: @ana, bob)", "<ana> dev talk"])
        XCTAssertEqual(cy.take(), ["-!- ana left #lobby", "-!- bob left #lobby"], "the lobby hears nothing of #dev")
    }

    func testNickChangeIsSeenByTheRoomAndCollisionsAreCaseInsensitive() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(bob, "/nick ANA")
        XCTAssertEqual(bob.take(), ["-!- The nick ANA is already taken"])
        harness.send(bob, "/nick Bob[away]")
        XCTAssertEqual(bob.take(), ["-!- You are now known as Bob[away]"])
        XCTAssertEqual(ana.take(), ["-!- bob is now known as Bob[away]"])
        harness.send(ana, "/nick bob{AWAY}")
        XCTAssertEqual(ana.take(), ["-!- The nick bob{AWAY} is already taken"], "rfc1459: [] fold to {}")
        harness.send(ana, "/nick 9lives")
        XCTAssertTrue(ana.take()[0].hasPrefix("-!- \"9lives\" is not a valid nick"))
    }

    func testPrivateMessagesAndActions() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(ana, "/msg BOB psst, over here")
        XCTAssertEqual(ana.take(), ["-> *bob* psst, over here"])
        XCTAssertEqual(bob.take(), ["*ana* psst, over here"])
        harness.send(ana, "/msg nobody hi")
        XCTAssertEqual(ana.take(), ["-!- There is no one called nobody"])
        harness.send(ana, "/me waves")
        XCTAssertEqual(bob.take(), ["* ana waves"])
    }

    func testHistoryIsReplayedOldestFirstAndBounded() {
        let harness = Harness { $0.historyLength = 3 }
        let ana = harness.plainUser(nick: "ana")
        for index in 1...5 { harness.send(ana, "line \(index)") }
        harness.send(ana, "/me stretches")
        let bob = harness.connect()
        harness.advance(by: .seconds(1))
        XCTAssertEqual(Array(bob.take().dropFirst(2)), [
            "-!- Recent messages in #lobby:",
            "<ana> line 4",
            "<ana> line 5",
            "* ana stretches",
        ])
    }

    func testTopicIsShownSetAndAnnounced() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(bob, "/topic")
        XCTAssertEqual(bob.take(), ["-!- #lobby has no topic"])
        harness.send(ana, "/topic release on friday")
        XCTAssertEqual(bob.take(), ["-!- ana changed the topic of #lobby to: release on friday"])
        harness.send(bob, "/topic")
        XCTAssertEqual(bob.take(), ["-!- Topic of #lobby: release on friday (set by ana)"])
    }

    func testUnknownCommandsAndSlashEscapes() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(ana, "/frobnicate now")
        XCTAssertEqual(ana.take(), ["-!- Unknown command /frobnicate. Type /help for the list"])
        harness.send(ana, "//usr/bin is a path")
        XCTAssertEqual(bob.take(), ["<ana> /usr/bin is a path"])
    }

    func testPartLeavesNoRoomToTalkTo() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana")
        harness.send(ana, "/part lunch")
        XCTAssertEqual(ana.take(), ["-!- You left #lobby"])
        harness.send(ana, "anyone?")
        XCTAssertEqual(ana.take(), ["-!- You are not in a room: /join one to talk"])
    }

    func testRoomsAndWhoListWhatExists() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        harness.send(bob, "/join dev")
        harness.send(bob, "/topic builds")
        _ = bob.take()
        harness.send(ana, "/rooms")
        XCTAssertEqual(ana.take().suffix(3), ["-!- Rooms (2):", "-!-   #dev (1 person): builds", "-!-   #lobby (1 person)"])
        harness.advance(by: .seconds(5))  // /rooms and /who cost four flood tokens each
        harness.send(ana, "/who dev")
        XCTAssertEqual(ana.take(), ["-!- In #dev (1): @bob"])
        harness.send(ana, "/who")
        XCTAssertEqual(ana.take(), ["-!- In #lobby (1): ana"])
    }

    func testQuitSaysGoodbyeClosesAndIsAnnouncedOnce() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(bob, "/quit see you")
        XCTAssertEqual(bob.take(), ["-!- Goodbye!"])
        XCTAssertTrue(bob.closed)
        XCTAssertEqual(ana.take(), ["-!- bob quit (Quit: see you)"])
        XCTAssertEqual(harness.server.userCount, 1)
    }

    func testALostConnectionIsAnnouncedWithItsReason() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.server.connectionLost(bob.id, reason: "Connection reset by peer")
        XCTAssertEqual(ana.take(), ["-!- bob quit (Connection reset by peer)"])
        harness.send(ana, "/nick bob")
        XCTAssertEqual(ana.take(), ["-!- You are now known as bob"], "the nick is free again")
    }

    func testHostileInputGetsAClearErrorAndTheConnectionStaysUsable() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(ana, String(repeating: "x", count: 511))
        XCTAssertEqual(ana.take(), ["-!- Line too long (511 bytes; the limit is 510), not sent"])
        harness.server.receive(ana.id, line: [0x61, 0x00, 0x62], now: harness.now)
        XCTAssertEqual(ana.take(), ["-!- Line contains a NUL byte, not sent"])
        harness.server.receive(ana.id, line: [0x6F, 0x6B, 0xFF, 0xFE], now: harness.now)
        XCTAssertEqual(bob.take(), ["<ana> ok\u{FFFD}\u{FFFD}"], "invalid UTF-8 is replaced, never relayed raw")
        harness.send(ana, "evil \u{1B}[2J colours")
        XCTAssertEqual(bob.take(), ["<ana> evil [2J colours"], "terminal escapes never reach a plain user")
        harness.server.receiveTooLong(ana.id, length: 9000, now: harness.now)
        XCTAssertEqual(ana.take(), ["-!- Line too long (9000 bytes; the limit is 510), not sent"])
        harness.send(ana, "still here")
        XCTAssertEqual(bob.take(), ["<ana> still here"])
    }

    func testAMessageTooLongForOneIRCLineArrivesSplitNotCut() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        let words = (1...100).map { "w\($0)" }.joined(separator: " ")  // 390 bytes
        let text = words + " " + String(repeating: "é", count: 50)  // 491 bytes
        harness.send(ana, text)
        let received = bob.take()
        XCTAssertEqual(received.count, 2)
        XCTAssertEqual(received.map { String($0.dropFirst(6)) }.joined(separator: " "), text)
    }

    func testTheServerRefusesConnectionsOverTheLimitReadably() {
        let harness = Harness { $0.maxClients = 1 }
        _ = harness.plainUser()
        let extra = harness.connect()
        XCTAssertEqual(extra.take(), ["ERROR :Closing Link: 127.0.0.1 (Server is full: 1 clients; try again later)"])
        XCTAssertTrue(extra.closed)
    }

    func testShutdownTellsEveryoneAndClosesThem() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.server.shutdown(reason: "Server shutting down")
        XCTAssertEqual(ana.take(), ["-!- Server shutting down"])
        XCTAssertEqual(bob.take(), ["-!- Server shutting down"])
        XCTAssertTrue(ana.closed && bob.closed)
    }

    func testHelpListsEveryCommand() {
        let harness = Harness()
        let ana = harness.plainUser()
        harness.send(ana, "/help")
        let help = ana.take().joined(separator: "\n")
        for command in ["/nick", "/join", "/part", "/rooms", "/who", "/msg", "/me", "/topic", "/quit", "/help"] {
            XCTAssertTrue(help.contains(command), command)
        }
    }
}

/// Rough edges a newcomer on nc found.
final class PlainRoughEdgeTests: XCTestCase {
    func testAnInvalidNickIsRefusedWholeNeverCut() {
        let harness = Harness()
        let ana = harness.plainUser()
        harness.send(ana, "/nick bad nick!")
        XCTAssertEqual(ana.take(), ["-!- \"bad nick!\" is not a valid nick: use letters, digits and -[]\\`^_{|}, not starting with a digit or -"])
        harness.send(ana, "/nick " + String(repeating: "a", count: 31))
        XCTAssertEqual(ana.take(), ["-!- \"\(String(repeating: "a", count: 31))\" is too long for a nick: at most 30 characters"])
        harness.send(ana, "/nick ok  ")
        XCTAssertEqual(ana.take(), ["-!- You are now known as ok"], "trailing spaces are not part of it")
    }

    func testATabReachesPlainReadersAsASpace() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        _ = ana.take()
        harness.send(ana, "tab\there")
        XCTAssertEqual(bob.take(), ["<ana> tab here"])
    }

    func testMeIsEchoedAndJoinWithoutARoomShowsItsUsage() {
        let harness = Harness()
        let ana = harness.plainUser(nick: "ana")
        harness.send(ana, "/me waves")
        XCTAssertEqual(ana.take(), ["* ana waves"])
        harness.send(ana, "/join")
        XCTAssertEqual(ana.take(), ["-!- Usage: /join ROOM [KEY]"])
        harness.send(ana, "/me")
        XCTAssertEqual(ana.take(), ["-!- Usage: /me TEXT"])
    }

    func testATinyTopicLengthClipsWithoutCrashing() {
        let harness = Harness { $0.topicLength = 1 }
        let ana = harness.plainUser(nick: "ana")
        harness.send(ana, "/join #t")
        _ = ana.take()
        harness.send(ana, "/topic héllo")
        XCTAssertEqual(ana.take(), ["-!- ana changed the topic of #t to: h"])
        harness.send(ana, "/topic é")
        XCTAssertEqual(ana.take(), ["-!- ana cleared the topic of #t"], "no character fits in one byte")
    }
}
