import Foundation
import RelayClient
import RelayIRC
import XCTest

final class ClientSessionTests: SessionTestCase {
    func testRegistersThenJoinsItsRooms() {
        let client = session { $0.password = "pw" }
        XCTAssertEqual(out(client), ["PASS pw", "NICK ana", "USER ana 0 * :ana"])
        XCTAssertEqual(feed(client, ":srv 001 ana :Welcome"), [.registered(nick: "ana")])
        XCTAssertEqual(out(client), ["JOIN #ops"])
        XCTAssertEqual(feed(client, ":ana!a@h JOIN #ops"), [.joined(room: "#ops")])
        XCTAssertEqual(client.rooms, ["#ops"])
    }

    func testATakenNickFallsBackToUnderscoresThenGivesUp() {
        let client = session { $0.maxNickAttempts = 2 }
        _ = out(client)
        XCTAssertEqual(feed(client, ":srv 433 * ana :Nickname is already in use"), [.nickInUse("ana", next: "ana_")])
        XCTAssertEqual(out(client), ["NICK ana_"])
        feed(client, ":srv 433 * ana_ :Nickname is already in use")
        XCTAssertEqual(out(client), ["NICK ana__"])
        XCTAssertEqual(feed(client, ":srv 433 * ana__ :in use"), [.failed(.nickUnavailable("the nick ana and 2 alternatives are taken"))])
        feed(client, ":srv 001 ana__ :Welcome")
        XCTAssertEqual(client.nick, "ana__")
    }

    func testPasswordRefusalAndServerErrorsFail() {
        let client = session()
        XCTAssertEqual(feed(client, ":srv 464 * :Password incorrect"), [.failed(.passwordRefused)])
        XCTAssertEqual(feed(client, "ERROR :Closing Link: x (Bad password)"), [.failed(.passwordRefused)])
    }

    /// Refusals as real servers send them: ngircd says only "ERROR :Access denied: Bad password?".
    func testRefusalsBeforeRegistrationAreToldFromOtherErrors() {
        XCTAssertEqual(feed(session(), "ERROR :Access denied: Bad password?"), [.failed(.passwordRefused)])
        XCTAssertEqual(feed(session(), ":srv 465 * :You are banned from this server"),
                       [.failed(.banned("You are banned from this server"))])
        XCTAssertEqual(feed(session(), "ERROR :Closing Link: x (K-Lined: spam)"), [.failed(.banned("Closing Link: x (K-Lined: spam)"))])
        XCTAssertEqual(feed(session(), "ERROR :Closing Link: x (Server shutting down)"),
                       [.failed(.closedByServer("Closing Link: x (Server shutting down)"))])
        let registered = session()
        feed(registered, ":srv 001 ana :hi")
        XCTAssertEqual(feed(registered, "ERROR :Closing Link: x (Killed: bad password attempts elsewhere)"),
                       [.failed(.closedByServer("Closing Link: x (Killed: bad password attempts elsewhere)"))],
                       "after registration an ERROR is a disconnect, not a refusal")
        XCTAssertTrue(SessionFailure.passwordRefused.isRefusal)
        XCTAssertEqual(SessionFailure.passwordRefused.exitStatus, 3)
        XCTAssertEqual(SessionFailure.banned("x").exitStatus, 3)
        XCTAssertFalse(SessionFailure.closedByServer("x").isRefusal, "a server restart is worth a reconnect")
        XCTAssertEqual(SessionFailure.timedOut("x").exitStatus, 1)
    }

    func testKeyedRoomsAreJoinedWithTheirKeys() {
        let client = session { $0.rooms = ["#ops", "#open"]; $0.roomKeys = ["#ops": "s3cret"] }
        feed(client, ":srv 001 ana :hi")
        XCTAssertEqual(out(client).suffix(2), ["JOIN #ops s3cret", "JOIN #open"])
    }

    func testPingIsAnsweredAtOnceEvenBehindPacedLines() {
        let client = session { $0.pacingBurst = 1 }
        feed(client, ":srv 001 ana :hi")
        for index in 0..<3 { client.say("line \(index)", to: "#ops") }
        _ = out(client)
        feed(client, "PING :abc")
        XCTAssertEqual(out(client), ["PONG abc"])
    }

    func testPacingLetsABurstThroughThenOnePerSecond() {
        let client = session()
        feed(client, ":srv 001 ana :hi")
        _ = out(client)  // the JOIN took one token
        for index in 1...10 { client.say("\(index)", to: "#ops") }
        XCTAssertEqual(out(client).count, 4)
        XCTAssertEqual(client.nextDeadline(now: now), now + .seconds(1))
        now = now + .seconds(1)
        XCTAssertEqual(out(client), ["PRIVMSG #ops :5"])
        now = now + .seconds(10)
        XCTAssertEqual(out(client).count, 5)
    }

    func testLongTextIsSplitToFitWithThePrefixAndNeverBreaksUTF8() {
        let client = session { $0.pacingRate = 0 }
        let text = String(repeating: "ünïcödé ", count: 180)  // 2,160 bytes
        client.say(text, to: "#ops")
        let lines = out(client).dropFirst(2)  // NICK, USER
        XCTAssertGreaterThan(lines.count, 4)
        var rebuilt: [String] = []
        for line in lines {
            // What the server relays: our line plus ":ana!ana@<63-byte host> ".
            XCTAssertLessThanOrEqual(line.utf8.count + 2 + 1 + 3 + 1 + 3 + 1 + 63 + 1, 512, line)
            let message = try! Message.parse(Array(line.utf8))
            XCTAssertFalse(message.params[1].contains("\u{FFFD}"))
            rebuilt.append(message.params[1])
        }
        XCTAssertEqual(rebuilt.joined(separator: " "), text)
    }

    func testUserTextNeverEmitsALineBreak() {
        let client = session { $0.pacingRate = 0 }
        client.say("one\r\nQUIT :haha\0", to: "#ops")
        client.raw("NAMES #ops\r\nQUIT")
        XCTAssertEqual(Array(out(client).dropFirst(2)), ["PRIVMSG #ops :one  QUIT :haha ", "NAMES #ops"])
    }

    func testIncomingChatActionsAndCTCP() {
        let client = session { $0.pacingRate = 0 }
        feed(client, ":srv 001 ana :hi")
        _ = out(client)
        XCTAssertEqual(feed(client, ":bob!b@h PRIVMSG #ops :hello"), [.chat(ChatLine(room: "#ops", nick: "bob", text: "hello", kind: .message))])
        XCTAssertEqual(feed(client, ":bob!b@h PRIVMSG #ops :\u{1}ACTION waves\u{1}"), [.chat(ChatLine(room: "#ops", nick: "bob", text: "waves", kind: .action))])
        XCTAssertEqual(feed(client, ":bob!b@h PRIVMSG ana :psst"), [.chat(ChatLine(room: nil, nick: "bob", text: "psst", kind: .message))])
        XCTAssertEqual(feed(client, ":bob!b@h PRIVMSG ana :\u{1}VERSION\u{1}"), [])
        XCTAssertEqual(out(client), ["NOTICE bob :\u{1}VERSION relay 0.1.0\u{1}"])
        XCTAssertEqual(feed(client, ":bob!b@h PRIVMSG ana :\u{1}PING 123\u{1}"), [])
        XCTAssertEqual(out(client), ["NOTICE bob :\u{1}PING 123\u{1}"])
    }

    func testACTCPFloodGetsAFewRepliesAndNeverDelaysRealLines() {
        let client = session()
        feed(client, ":srv 001 ana :hi")
        _ = out(client)
        now += .seconds(60)
        client.say("the real reply", to: "#ops")
        for index in 0..<300 { feed(client, ":x\(index)!b@h PRIVMSG ana :\u{1}VERSION\u{1}") }
        XCTAssertEqual(out(client), ["PRIVMSG #ops :the real reply"], "nothing queued behind a backlog of CTCP replies")
        for index in 0..<300 {
            feed(client, ":y\(index)!b@h PRIVMSG ana :\u{1}VERSION\u{1}")
            now += .milliseconds(100)
            _ = out(client)
        }
        var replies = 0
        for index in 0..<300 {
            feed(client, ":z\(index)!b@h PRIVMSG ana :\u{1}PING \(index)\u{1}")
            now += .seconds(1)
            replies += out(client).count
        }
        XCTAssertLessThanOrEqual(replies, 31, "one reply every ten seconds")
        XCTAssertGreaterThanOrEqual(replies, 29)
    }

    func testConfirmationComesAfterEverythingQueued() {
        let client = session()
        feed(client, ":srv 001 ana :hi")
        client.say("important", to: "#ops")
        let token = client.confirm()
        XCTAssertEqual(Array(out(client)), ["NICK ana", "USER ana 0 * :ana", "JOIN #ops", "PRIVMSG #ops :important", "PING :\(token)"])
        XCTAssertEqual(feed(client, ":srv 404 ana #ops :Cannot send to channel"), [.refused(code: "404", subject: "#ops", text: "Cannot send to channel")])
        XCTAssertEqual(feed(client, ":srv PONG srv :\(token)"), [.confirmed(token: token)])
    }

    func testAConfirmationTakesNoPacingTokenAndSaysWhenItWasWritten() {
        let client = session { $0.pacingBurst = 2; $0.pacingRate = 1 }
        feed(client, ":srv 001 ana :hi")
        now += .seconds(10)
        _ = out(client)  // NICK, USER, JOIN
        now += .seconds(10)
        for index in 1...4 { client.say("line \(index)", to: "#ops") }
        let token = client.confirm()
        XCTAssertEqual(client.unsentMessageCount, 4)
        XCTAssertEqual(out(client), ["PRIVMSG #ops :line 1", "PRIVMSG #ops :line 2"])
        XCTAssertEqual(client.takeWrittenConfirmations(), [], "still behind two lines")
        XCTAssertEqual(client.unsentMessageCount, 2)
        now += .seconds(2)
        XCTAssertEqual(out(client), ["PRIVMSG #ops :line 3", "PRIVMSG #ops :line 4", "PING :\(token)"], "the PING follows at once")
        XCTAssertEqual(client.takeWrittenConfirmations(), [token])
        XCTAssertEqual(client.unsentMessageCount, 0)
    }

    func testANickTooLongForTheServerIsCutToFitWithAWarning() {
        let client = session { $0.nick = "averyveryverylongnickname" }
        _ = out(client)
        XCTAssertEqual(feed(client, ":srv 432 * averyveryverylongnickname :Erroneous nickname"),
                       [.warning("the server refused the nick averyveryverylongnickname (too long for it?); trying averyveryverylon")])
        XCTAssertEqual(out(client), ["NICK averyveryverylon"])
        XCTAssertEqual(feed(client, ":srv 432 * averyveryverylon :Erroneous nickname"),
                       [.warning("the server refused the nick averyveryverylon (too long for it?); trying averyvery")])
        XCTAssertEqual(out(client), ["NICK averyvery"])
        XCTAssertEqual(feed(client, ":srv 433 * averyvery :Nickname is already in use"), [.nickInUse("averyvery", next: "averyver_")])
        XCTAssertEqual(feed(client, ":srv 432 * b@d :Erroneous nickname").count, 1)
        let short = session { $0.nick = "bad!nick" }
        XCTAssertEqual(feed(short, ":srv 432 * bad!nick :Erroneous nickname"), [.failed(.nickUnavailable("the server refused the nick bad!nick"))])
    }

    func testMembersAreTrackedForCompletion() {
        let client = session()
        feed(client, ":srv 001 ana :hi")
        feed(client, ":ana!a@h JOIN #ops")
        feed(client, ":srv 353 ana = #ops :@ana +bob cy")
        XCTAssertEqual(feed(client, ":srv 366 ana #ops :End"), [.names(room: "#ops", nicks: ["ana", "bob", "cy"])])
        feed(client, ":dee!d@h JOIN #ops")
        feed(client, ":cy!c@h QUIT :bye")
        feed(client, ":bob!b@h NICK robert")
        XCTAssertEqual(client.members(of: "#OPS"), ["ana", "robert", "dee"])
    }

    func testKeepalivePingsASilentServerThenGivesUp() {
        let client = session { $0.keepalive = .seconds(60) }
        _ = out(client)
        now = now + .seconds(60)
        XCTAssertEqual(client.tick(now: now), [])
        XCTAssertEqual(out(client), ["PING :keepalive"])
        XCTAssertEqual(client.nextDeadline(now: now), now + .seconds(60))
        now = now + .seconds(60)
        XCTAssertEqual(client.tick(now: now), [.failed(.timedOut("no reply from the server in 120 s"))])
    }

    func testAnEchoOfALongTokenIsCutToFitALine() {
        // Found by fuzzing (fuzz/regressions/ClientSession): 0xFF bytes become
        // U+FFFD, three bytes each, and the PONG echoing them passed 512 bytes.
        let client = session()
        _ = out(client)
        var line = Array("PING :".utf8)
        line += [UInt8](repeating: 0xFF, count: 400)
        _ = client.receive(ArraySlice(line), now: now)
        let pong = client.takeOutgoing(now: now)
        XCTAssertEqual(pong.count, 1)
        XCTAssertLessThanOrEqual(pong[0].count, 512)
        XCTAssertTrue(String(decoding: pong[0], as: UTF8.self).hasPrefix("PONG \u{FFFD}"))
    }

    func testACTCPQueryFromANickTooLongToAnswerIsNotAnswered() {
        // Found by fuzzing: a VERSION query from a 220-byte "nick" of 0xFF bytes
        // (660 once they became U+FFFD) made a 599-byte NOTICE. No real server
        // sends such a nick; a reply that cannot fit is not sent at all.
        let client = session()
        _ = out(client)
        var line = Array(":".utf8) + [UInt8](repeating: 0xFF, count: 220)
        line += Array("!b@h PRIVMSG ana :\u{1}VERSION\u{1}".utf8)
        _ = client.receive(ArraySlice(line), now: now)
        XCTAssertEqual(client.takeOutgoing(now: now), [])
        _ = client.receive(ArraySlice(":bob!b@h PRIVMSG ana :\u{1}VERSION\u{1}".utf8), now: now)
        let reply = client.takeOutgoing(now: now).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(reply.count, 1)
        XCTAssertTrue(reply.first?.hasPrefix("NOTICE bob :\u{1}VERSION relay") == true, "\(reply)")
    }
}

final class OutputFormatTests: XCTestCase {
    func testTextFormat() {
        let text = OutputFormat.text
        XCTAssertEqual(text.line(for: .chat(ChatLine(room: "#r", nick: "ana", text: "hi", kind: .message)), unixTime: 0), "#r <ana> hi")
        XCTAssertEqual(text.line(for: .chat(ChatLine(room: "#r", nick: "ana", text: "waves", kind: .action)), unixTime: 0), "#r * ana waves")
        XCTAssertEqual(text.line(for: .chat(ChatLine(room: nil, nick: "ana", text: "psst", kind: .message)), unixTime: 0), "ana <ana> psst")
        XCTAssertEqual(text.line(for: .join(room: "#r", nick: "bob"), unixTime: 0), "#r -!- bob joined")
        XCTAssertNil(text.line(for: .registered(nick: "x"), unixTime: 0))
    }

    func testJSONLinesAreValidJSONWithEscapes() throws {
        let line = OutputFormat.json.line(for: .chat(ChatLine(room: "#r", nick: "ana", text: "say \"hi\"\\\u{1}\n", kind: .message)),
                                          unixTime: 1_795_770_000)!
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        XCTAssertEqual(object["time"] as? String, "2026-11-27T09:00:00Z")
        XCTAssertEqual(object["type"] as? String, "message")
        XCTAssertEqual(object["room"] as? String, "#r")
        XCTAssertEqual(object["text"] as? String, "say \"hi\"\\\u{1}\n")
        let privateLine = OutputFormat.json.line(for: .chat(ChatLine(room: nil, nick: "b", text: "x", kind: .action)), unixTime: 0)!
        let privateObject = try JSONSerialization.jsonObject(with: Data(privateLine.utf8)) as! [String: Any]
        XCTAssertEqual(privateObject["private"] as? Bool, true)
        XCTAssertNil(privateObject["room"])
    }

}
