@testable import RelayServer
import XCTest

final class IRCRegistrationTests: XCTestCase {
    func testRegistrationSendsTheWelcomeBurst() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "NICK ana")
        XCTAssertEqual(ana.take(), [], "no welcome before USER")
        harness.send(ana, "USER ana 0 * :Ana Real")
        let lines = ana.take()
        let codes = lines.map { $0.split(separator: " ")[1] }
        XCTAssertEqual(codes, ["001", "002", "003", "004", "005", "005", "005", "251", "252", "253", "254", "255", "265", "266", "422"])
        XCTAssertEqual(lines[0], ":test.server 001 ana :Welcome to the relay IRC Network ana!ana@127.0.0.1")
        let isupport = lines.filter { $0.contains(" 005 ") }.joined(separator: " ")
        for token in ["CASEMAPPING=rfc1459", "CHANTYPES=#", "NICKLEN=30", "CHANNELLEN=50", "TOPICLEN=390", "NETWORK=relay",
                      "PREFIX=(ov)@+", "CHANMODES=beI,k,l,Cimnst", "TARGMAX=", "WHOX", "UTF8ONLY", "ELIST=CMNTU", "EXCEPTS", "INVEX", "STATUSMSG=@+", "AWAYLEN=200", "KICKLEN=390", "MODES=4",
                      "BOT=B", "MONITOR=100", "CHATHISTORY=100", "MSGREFTYPES=msgid,timestamp"] {
            XCTAssertTrue(isupport.contains(token), token)
        }
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 510 })
    }

    func testCapNegotiationHoldsRegistrationUntilCapEnd() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "CAP LS 302")
        harness.send(ana, "NICK ana")
        harness.send(ana, "USER ana 0 * :Ana")
        harness.send(ana, "CAP REQ :multi-prefix sasl")
        let lines = ana.take()
        XCTAssertEqual(lines.count, 2, "no welcome while negotiating: \(lines)")
        XCTAssertTrue(lines[0].hasPrefix(":test.server CAP * LS :account-notify "))
        XCTAssertEqual(lines[1], ":test.server CAP * NAK :multi-prefix sasl", "all or nothing: sasl is not offered")
        harness.send(ana, "CAP END")
        XCTAssertTrue(ana.take().first!.contains(" 001 ana "))
    }

    func testMOTDComesFromTheConfig() {
        let harness = Harness { $0.motd = ["be nice", "no spam"] }
        let ana = harness.connect()
        harness.send(ana, "NICK ana")
        harness.send(ana, "USER ana 0 * :Ana")
        XCTAssertEqual(Array(ana.take().suffix(4)), [
            ":test.server 375 ana :- test.server Message of the day - ",
            ":test.server 372 ana :- be nice",
            ":test.server 372 ana :- no spam",
            ":test.server 376 ana :End of /MOTD command.",
        ])
    }

    func testWrongOrMissingPasswordIsRefusedWith464AndClosed() {
        let harness = Harness { $0.password = "s3cret" }
        let ana = harness.connect()
        harness.send(ana, "PASS wrong")
        harness.send(ana, "NICK ana")
        harness.send(ana, "USER ana 0 * :Ana")
        XCTAssertEqual(ana.take(), [":test.server 464 ana :Password incorrect", "ERROR :Closing Link: 127.0.0.1 (Bad password)"])
        XCTAssertTrue(ana.closed)
        let bob = harness.connect()
        harness.send(bob, "PASS s3cret")
        harness.send(bob, "NICK bob")
        harness.send(bob, "USER bob 0 * :Bob")
        XCTAssertTrue(bob.take().first!.contains(" 001 bob "))
    }

    func testPlainUsersAreAskedForThePassword() {
        let harness = Harness { $0.password = "s3cret" }
        let ana = harness.connect()
        harness.advance(by: .seconds(1))
        XCTAssertEqual(ana.take(), ["-!- This server needs a password: type it and press Enter."])
        harness.send(ana, "s3cret")
        XCTAssertEqual(ana.take().first, "-!- Welcome to relay, guest1! Type to talk, /help for commands.")
        let bob = harness.connect()
        harness.send(bob, "guess")
        XCTAssertEqual(bob.take(), ["-!- Wrong password. Goodbye."])
        XCTAssertTrue(bob.closed)
    }

    func testCommandsBeforeRegistrationGet451AndBadNicks432Or433() {
        let harness = Harness()
        _ = harness.ircUser("ana")
        let bob = harness.connect()
        harness.send(bob, "NICK bob")
        harness.send(bob, "JOIN #x")
        harness.send(bob, "NICK 1bad")
        harness.send(bob, "NICK ANA")
        harness.send(bob, "NICK")
        XCTAssertEqual(bob.take(), [
            ":test.server 451 bob :You have not registered",
            ":test.server 432 bob 1bad :Erroneous nickname",
            ":test.server 433 bob ANA :Nickname is already in use",
            ":test.server 431 bob :No nickname given",
        ])
    }

    func testANickTakenBetweenNICKAndUSERIsRefusedAtRegistration() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        let slow = harness.connect()
        harness.send(slow, "NICK cy")
        let quick = harness.connect()
        harness.send(quick, "NICK cy")
        harness.send(quick, "USER cy 0 * :Quick")
        XCTAssertTrue(quick.take().first!.contains(" 001 cy "))
        harness.send(slow, "USER cy 0 * :Slow")
        XCTAssertEqual(slow.take(), [":test.server 433 * cy :Nickname is already in use"], "two users may never share a nick")
        harness.send(slow, "NICK cy_")
        XCTAssertTrue(slow.take().first!.contains(" 001 cy_ "))
        // The same when a registered user renames to the nick a newcomer asked for.
        let late = harness.connect()
        harness.send(late, "NICK dee")
        harness.send(ana, "NICK dee")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 NICK dee"])
        harness.send(late, "USER dee 0 * :Late")
        XCTAssertEqual(late.take(), [":test.server 433 * dee :Nickname is already in use"])
        XCTAssertNil(harness.server.consistencyProblem())
    }

    func testUnknownCommandsMissingParametersAndOverlongInput() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "FROB")
        harness.send(ana, "JOIN")
        harness.send(ana, "PRIVMSG #x :" + String(repeating: "y", count: 600))
        XCTAssertEqual(ana.take(), [
            ":test.server 421 ana FROB :Unknown command",
            ":test.server 461 ana JOIN :Not enough parameters",
            ":test.server 417 ana :Input line was too long",
        ])
    }

    func testPingPongAndUnregisteredPing() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "PING :abc def")
        harness.send(ana, "PING")
        XCTAssertEqual(ana.take(), [":test.server PONG test.server :abc def", ":test.server 409 ana :No origin specified"])
    }

    func testASilentClientIsPingedThenDroppedWithPingTimeout() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "JOIN #x")
        harness.send(bob, "JOIN #x")
        _ = ana.take(); _ = bob.take()
        harness.advance(by: .seconds(59))
        XCTAssertEqual(ana.take(), [])
        harness.send(bob, "PONG :x")
        harness.advance(by: .seconds(1))
        XCTAssertEqual(ana.take(), ["PING :test.server"])
        harness.advance(by: .seconds(59))
        XCTAssertEqual(ana.take(), [])
        XCTAssertEqual(bob.take(), ["PING :test.server"])
        harness.send(bob, "PONG test.server")
        harness.advance(by: .seconds(1))
        XCTAssertEqual(ana.take(), ["ERROR :Closing Link: 127.0.0.1 (Ping timeout: 120 seconds)"])
        XCTAssertTrue(ana.closed)
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 QUIT :Ping timeout: 120 seconds"])
        harness.advance(by: .seconds(70))
        XCTAssertFalse(bob.closed, "bob answered")
    }

    func testAnUnregisteredClientTimesOut() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "CAP LS 302")
        harness.send(ana, "NICK ana")
        _ = ana.take()
        harness.advance(by: .seconds(60))
        XCTAssertEqual(ana.take(), ["ERROR :Closing Link: 127.0.0.1 (Registration timed out)"])
        XCTAssertTrue(ana.closed)
    }

    func testQuitIsBroadcastOnceAndTheQuitterGetsError() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "JOIN #a,#b")
        harness.send(bob, "JOIN #a,#b")
        _ = ana.take(); _ = bob.take()
        harness.send(bob, "QUIT :gone fishing")
        XCTAssertEqual(bob.take(), ["ERROR :Closing Link: 127.0.0.1 (Quit: gone fishing)"])
        XCTAssertEqual(ana.take(), [":bob!bob@127.0.0.1 QUIT :Quit: gone fishing"])
    }
}
