@testable import RelayServer
import XCTest

final class IRCChannelTests: XCTestCase {
    private func roomWithOp() -> (Harness, FakeClient, FakeClient) {
        let harness = Harness()
        let op = harness.ircUser("op"), bob = harness.ircUser("bob")
        harness.send(op, "JOIN #x")
        _ = op.take()
        return (harness, op, bob)
    }

    func testTheCreatorIsOperatorAndTopicNeedsOpUnderPlusT() {
        let (harness, op, bob) = roomWithOp()
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(Array(bob.take().suffix(2)), [":test.server 353 bob = #x :@op bob", ":test.server 366 bob #x :End of /NAMES list"])
        harness.send(bob, "TOPIC #x :mine")
        XCTAssertEqual(bob.take(), [":test.server 482 bob #x :You're not channel operator"])
        harness.wallClock = 1_700_000_123
        harness.send(op, "TOPIC #x :the topic")
        XCTAssertEqual(bob.take(), [":op!op@127.0.0.1 TOPIC #x :the topic"])
        harness.send(bob, "TOPIC #x")
        XCTAssertEqual(bob.take(), [":test.server 332 bob #x :the topic", ":test.server 333 bob #x op!op@127.0.0.1 1700000123"])
    }

    func testModeQueryAndChanges() {
        let (harness, op, bob) = roomWithOp()
        harness.send(op, "MODE #x")
        XCTAssertEqual(op.take(), [":test.server 324 op #x +nt", ":test.server 329 op #x 1700000000"])
        harness.send(bob, "JOIN #x")
        _ = op.take()
        harness.send(op, "MODE #x +ov-t bob bob")
        XCTAssertEqual(bob.take().last, ":op!op@127.0.0.1 MODE #x +ov-t bob bob")
        harness.send(bob, "MODE #x +z")
        XCTAssertEqual(bob.take(), [":test.server 472 bob z :is unknown mode char to me"])
        _ = op.take()
        harness.send(op, "MODE #x +o nobody")
        XCTAssertEqual(op.take().first, ":test.server 401 op nobody :No such nick/channel")
    }

    func testNonOperatorsCannotSetModes() {
        let (harness, _, bob) = roomWithOp()
        harness.send(bob, "JOIN #x")
        _ = bob.take()
        harness.send(bob, "MODE #x +im")
        XCTAssertEqual(bob.take(), [":test.server 482 bob #x :You're not channel operator"])
    }

    func testKeyLimitInviteAndBan() {
        let (harness, op, bob) = roomWithOp()
        harness.send(op, "MODE #x +k sesame")
        harness.send(bob, "JOIN #x")
        harness.send(bob, "JOIN #x wrong")
        XCTAssertEqual(bob.take(), [":test.server 475 bob #x :Cannot join channel (+k)", ":test.server 475 bob #x :Cannot join channel (+k)"])
        harness.send(bob, "JOIN #x sesame")
        XCTAssertEqual(bob.take().first, ":bob!bob@127.0.0.1 JOIN #x")
        harness.send(bob, "PART #x")
        harness.send(op, "MODE #x -k+l *  1")
        _ = bob.take()
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(bob.take(), [":test.server 471 bob #x :Cannot join channel (+l)"])
        harness.send(op, "MODE #x -l+i")
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(bob.take(), [":test.server 473 bob #x :Cannot join channel (+i)"])
        _ = op.take()
        harness.send(op, "INVITE bob #x")
        XCTAssertEqual(op.take(), [":test.server 341 op bob #x"])
        XCTAssertEqual(bob.take(), [":op!op@127.0.0.1 INVITE bob #x"])
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(bob.take().first, ":bob!bob@127.0.0.1 JOIN #x")
        harness.send(op, "KICK #x bob :out")
        XCTAssertEqual(bob.take(), [":op!op@127.0.0.1 KICK #x bob :out"])
        harness.send(op, "MODE #x -i+b bob")
        harness.send(op, "MODE #x +b")
        XCTAssertEqual(Array(op.take().suffix(2)), [":test.server 367 op #x bob!*@* op!op@127.0.0.1 1700000000",
                                                   ":test.server 368 op #x :End of channel ban list"])
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(bob.take(), [":test.server 474 bob #x :Cannot join channel (+b)"])
    }

    func testModeratedAndNoExternalMessages() {
        let (harness, op, bob) = roomWithOp()
        harness.send(bob, "PRIVMSG #x :from outside")
        XCTAssertEqual(bob.take(), [":test.server 404 bob #x :Cannot send to channel (no external messages)"])
        harness.send(bob, "JOIN #x")
        harness.send(op, "MODE #x +m")
        _ = bob.take(); _ = op.take()
        harness.send(bob, "PRIVMSG #x :hello?")
        XCTAssertEqual(bob.take(), [":test.server 404 bob #x :Cannot send to channel (moderated)"])
        harness.send(op, "MODE #x +v bob")
        harness.send(bob, "PRIVMSG #x :hello!")
        XCTAssertEqual(op.take(), [":op!op@127.0.0.1 MODE #x +v bob", ":bob!bob@127.0.0.1 PRIVMSG #x :hello!"])
    }

    func testKickNeedsOpAndTheTargetInTheRoom() {
        let (harness, op, bob) = roomWithOp()
        harness.send(bob, "JOIN #x")
        harness.send(bob, "KICK #x op")
        XCTAssertEqual(bob.take().last, ":test.server 482 bob #x :You're not channel operator")
        harness.send(op, "KICK #x nobody")
        XCTAssertEqual(op.take().last, ":test.server 441 op nobody #x :They aren't on that channel")
        harness.send(bob, "INVITE op #x")
        XCTAssertEqual(bob.take(), [":test.server 443 bob op #x :is already on channel"])
    }

    func testPlainUsersFollowTheSameRoomRules() {
        let (harness, op, _) = roomWithOp()
        let guest = harness.plainUser()
        harness.send(op, "MODE #x +k sesame")
        harness.send(guest, "/join x")
        XCTAssertEqual(guest.take(), ["-!- Cannot join #x: it needs a key (/join #x KEY)"])
        harness.send(guest, "/join x sesame")
        XCTAssertEqual(guest.take().suffix(1), ["-!- You joined #x (2 people: @op, guest1)"])
        harness.send(op, "MODE #x +m")
        harness.send(guest, "quiet?")
        XCTAssertEqual(guest.take(), ["-!- op sets mode +m on #x", "-!- Cannot send to #x: moderated"])
        harness.send(op, "KICK #x guest1 :bye")
        XCTAssertEqual(guest.take(), ["-!- You were kicked from #x by op (bye)"])
    }

    func testPartJoinZeroNamesAndList() {
        let (harness, op, bob) = roomWithOp()
        harness.send(op, "JOIN #y")
        harness.send(op, "TOPIC #y :why")
        harness.send(op, "MODE #y +s")
        _ = op.take()
        harness.send(bob, "LIST")
        XCTAssertEqual(bob.take(), [":test.server 321 bob Channel :Users  Name", ":test.server 322 bob #lobby 0 :",
                                    ":test.server 322 bob #x 1 :", ":test.server 323 bob :End of /LIST"],
                       "secret #y is hidden; the lobby always exists")
        harness.send(bob, "PART #x")
        XCTAssertEqual(bob.take(), [":test.server 442 bob #x :You're not on that channel"])
        harness.send(op, "JOIN 0")
        XCTAssertEqual(op.take(), [":op!op@127.0.0.1 PART #x", ":op!op@127.0.0.1 PART #y"])
        XCTAssertEqual(harness.server.roomCount, 1, "only the lobby is left")
    }
}
