import RelayClient
import RelayIRC
import XCTest

/// tcp:// targets: a plain line-chat server, lines in and out, no IRC.
final class PlainDialectTests: SessionTestCase {
    private func plain() -> ClientSession {
        session {
            $0.plainRoom = "#chat"
            $0.plainSpeaker = "chatbox"
            $0.pacingRate = 0
        }
    }

    private func written(_ session: ClientSession) -> [String] {
        session.takeOutgoing(now: now).map { String(decoding: $0, as: UTF8.self) }
    }

    func testRegisteredAndInTheRoomAtOnceWithNothingSent() {
        let session = plain()
        XCTAssertEqual(written(session), [])
        XCTAssertLessThanOrEqual(session.nextDeadline(now: now), now)
        XCTAssertEqual(session.tick(now: now), [.registered(nick: "ana"), .joined(room: "#chat")])
        XCTAssertEqual(session.tick(now: now), [])
        XCTAssertTrue(session.isRegistered)
        XCTAssertEqual(session.rooms, ["#chat"])
    }

    func testSaidLinesGoOutBareAndAreConfirmedOnceWritten() {
        let session = plain()
        _ = session.tick(now: now)
        session.say("hello\r\nthere", to: "#chat")
        session.join("#other")
        session.changeNick("bob")
        let token = session.confirm()
        XCTAssertEqual(written(session), ["hello  there\n"])
        XCTAssertEqual(session.takeWrittenConfirmations(), [token])
        XCTAssertEqual(session.tick(now: now), [.confirmed(token: token)])
        session.say("waves", to: "#chat", kind: .action)
        session.say("\u{200B}<a\u{200B}na> relayed", to: "#chat")
        XCTAssertEqual(written(session), ["* ana waves\n", "<ana> relayed\n"])
        session.quit("bye")
        XCTAssertEqual(written(session), [], "no QUIT line: closing is the goodbye")
    }

    func testLinesReadAreMessagesWithTheirSpeaker() {
        let session = plain()
        XCTAssertEqual(feed(session, "<user5> hi all"), [.chat(ChatLine(room: "#chat", nick: "user5", text: "hi all", kind: .message))])
        XCTAssertEqual(feed(session, "just text"), [.chat(ChatLine(room: "#chat", nick: "chatbox", text: "just text", kind: .message))])
        XCTAssertEqual(feed(session, "<announce> 127.0.0.1 is connected as <user6>."), [.serverText("127.0.0.1 is connected as <user6>.")])
        XCTAssertEqual(feed(session, "<a b> not a nick"), [.chat(ChatLine(room: "#chat", nick: "chatbox", text: "<a b> not a nick", kind: .message))])
        XCTAssertEqual(feed(session, "   "), [])
        XCTAssertEqual(feed(session, "PING :x"), [.chat(ChatLine(room: "#chat", nick: "chatbox", text: "PING :x", kind: .message))])
        XCTAssertEqual(written(session), [], "no PONG: this is not IRC")
    }

    /// A server that echoes what we wrote must not make a bridge relay its own lines.
    func testOurOwnLinesEchoedAreDropped() {
        let session = plain()
        session.say("<ana> from irc", to: "#chat")
        XCTAssertEqual(written(session), ["<ana> from irc\n"])
        XCTAssertEqual(feed(session, "<ana> from irc"), [])
        XCTAssertEqual(feed(session, "<ana> from irc"), [.chat(ChatLine(room: "#chat", nick: "ana", text: "from irc", kind: .message))],
                       "only once: the same line said again by someone is news")
    }

    func testNoKeepalive() {
        let session = plain()
        _ = session.tick(now: now)
        now += .seconds(600)
        XCTAssertEqual(session.tick(now: now), [])
        XCTAssertEqual(written(session), [])
        XCTAssertGreaterThan(session.nextDeadline(now: now), now + .seconds(60))
    }

    func testTargets() throws {
        let target = try ClientTarget.parse("tcp://127.0.0.1:9000")
        XCTAssertTrue(target.plain)
        XCTAssertEqual(target.rooms, ["#chat"])
        XCTAssertEqual(try ClientTarget.parse("tcp://chat.example:7000/lounge").rooms, ["#lounge"])
        XCTAssertThrowsError(try ClientTarget.parse("tcp://127.0.0.1")) { XCTAssertEqual("\($0)", "tcp://127.0.0.1: a tcp:// target needs its port (tcp://host:port)") }
        XCTAssertThrowsError(try ClientTarget.parse("tcp://ana:pw@127.0.0.1:9000")) { XCTAssertFalse("\($0)".contains("pw")) }
        XCTAssertThrowsError(try ClientTarget.parse("tcp://127.0.0.1:9000/#a,#b"))
        XCTAssertThrowsError(try ClientTarget.parse("http://127.0.0.1:9000"))
    }
}
