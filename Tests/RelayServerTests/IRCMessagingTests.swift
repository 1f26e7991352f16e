@testable import RelayServer
import XCTest

final class IRCMessagingTests: XCTestCase {
    func testPlainAndIRCUsersSeeEachOtherInTheirOwnDialect() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        let guest = harness.plainUser()
        harness.send(ana, "JOIN #lobby")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 JOIN #lobby", ":test.server 353 ana = #lobby :guest1 ana",
                                    ":test.server 366 ana #lobby :End of /NAMES list"])
        XCTAssertEqual(guest.take(), ["-!- ana joined #lobby"])
        harness.send(guest, "hello")
        harness.send(guest, "/me waves")
        XCTAssertEqual(ana.take(), [":guest1!guest1@127.0.0.1 PRIVMSG #lobby :hello",
                                    ":guest1!guest1@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION waves\u{1}"])
        harness.send(ana, "PRIVMSG #lobby :hello yourself")
        harness.send(ana, "PRIVMSG #lobby :\u{1}ACTION bows\u{1}")
        harness.send(ana, "NOTICE #lobby :fyi")
        harness.send(ana, "PRIVMSG #lobby :\u{1}VERSION\u{1}")
        harness.send(ana, "PRIVMSG guest1 :\u{1}PING 1\u{1}")
        XCTAssertEqual(guest.take(), ["* guest1 waves", "<ana> hello yourself", "* ana bows", "-ana- fyi"],
                       "the sender sees its /me; CTCP queries are not chat")
        let late = harness.plainUser()
        harness.send(late, "/join #other")
        harness.send(late, "/join #lobby")
        XCTAssertEqual(Array(late.take().suffix(5)), ["-!- Recent messages in #lobby:", "<guest1> hello", "* guest1 waves",
                                                      "<ana> hello yourself", "* ana bows"], "nor history")
    }

    func testMultipleTargetsAreDeduplicatedAndErrorsNamed() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "PRIVMSG bob,BOB,nobody,#nowhere :hi")
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 PRIVMSG bob :hi"])
        XCTAssertEqual(ana.take(), [":test.server 401 ana nobody :No such nick/channel",
                                    ":test.server 403 ana #nowhere :No such channel"])
        harness.send(ana, "PRIVMSG")
        harness.send(ana, "PRIVMSG bob")
        XCTAssertEqual(ana.take(), [":test.server 411 ana :No recipient given (PRIVMSG)", ":test.server 412 ana :No text to send"])
        harness.send(ana, "PRIVMSG a,b,c,d,e :x")
        XCTAssertEqual(ana.take(), [":test.server 407 ana a,b,c,d,e :Too many recipients"])
    }

    func testANoticeNeverGetsAnErrorReply() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "NOTICE nobody :hi")
        harness.send(ana, "NOTICE #nowhere :hi")
        harness.send(ana, "NOTICE")
        XCTAssertEqual(ana.take(), [])
    }

    func testAwayIsReportedToSenders() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(bob, "AWAY :at lunch")
        XCTAssertEqual(bob.take(), [":test.server 306 bob :You have been marked as being away"])
        harness.send(ana, "PRIVMSG bob :there?")
        XCTAssertEqual(ana.take(), [":test.server 301 ana bob :at lunch"])
        harness.send(bob, "AWAY")
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 PRIVMSG bob :there?", ":test.server 305 bob :You are no longer marked as being away"])
    }

    func testNickChangeIsSeenOnceByEachPeerAndCaseOnlyChangesAreAllowed() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "JOIN #a,#b")
        harness.send(bob, "JOIN #a,#b")
        _ = ana.take(); _ = bob.take()
        harness.send(ana, "NICK Ana")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 NICK Ana"])
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 NICK Ana"], "once, though two rooms are shared")
    }

    func testLongMessagesFromIRCClientsArriveAsOneLineCutToFit() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        let text = String(repeating: "abc ", count: 124)  // 496 bytes: fits the input line, not the relayed one
        harness.send(ana, "PRIVMSG bob :" + text)
        let lines = bob.take()
        XCTAssertEqual(lines.count, 1, "one message in, one out: never split (CTCP, counts, message ids)")
        XCTAssertEqual(lines[0].utf8.count, 510)
    }

    func testEveryLineToAnIRCClientFits512BytesWhateverItEchoes() {
        // Found by fuzzing: a plain user's long /part reason reached IRC members in
        // a 517-byte PART. Lines that echo unbounded text are cut as ircds cut them;
        // plain readers, who have no such limit, get the whole text.
        let harness = Harness()
        let ana = harness.ircUser("ana")
        let bob = harness.ircUser("bob")
        let cy = harness.plainUser(nick: "cy")
        harness.send(ana, "JOIN #lobby")
        harness.send(bob, "JOIN #lobby")
        _ = ana.take(); _ = bob.take(); _ = cy.take()
        let long = String(repeating: "y", count: 495)
        harness.send(bob, "QUIT :" + long)
        let quit = ana.take()
        XCTAssertEqual(quit.map { $0.utf8.count }, [510])
        XCTAssertTrue(quit[0].hasPrefix(":bob!bob@127.0.0.1 QUIT :Quit: yyy"), quit[0])
        XCTAssertEqual(cy.take(), ["-!- bob quit (Quit: \(long))"])
        harness.send(cy, "/part " + long)
        let part = ana.take()
        XCTAssertEqual(part.map { $0.utf8.count }, [510])
        XCTAssertTrue(part[0].hasPrefix(":cy!guest1@127.0.0.1 PART #lobby :yyy"), part[0])
        harness.send(ana, "PRIVMSG \(long) :hi")
        let noSuchNick = ana.take()
        XCTAssertEqual(noSuchNick.map { $0.utf8.count }, [510])
        XCTAssertTrue(noSuchNick[0].hasPrefix(":test.server 401 ana yyy"), noSuchNick[0])
    }
}
