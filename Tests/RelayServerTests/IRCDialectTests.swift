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
        XCTAssertEqual(codes, ["001", "002", "003", "004", "005", "005", "251", "252", "253", "254", "255", "265", "266", "422"])
        XCTAssertEqual(lines[0], ":test.server 001 ana :Welcome to the relay IRC Network ana!ana@127.0.0.1")
        let isupport = lines.filter { $0.contains(" 005 ") }.joined(separator: " ")
        for token in ["CASEMAPPING=rfc1459", "CHANTYPES=#", "NICKLEN=30", "CHANNELLEN=50", "TOPICLEN=390", "NETWORK=relay",
                      "PREFIX=(ov)@+", "CHANMODES=b,k,l,imnst", "TARGMAX=", "AWAYLEN=200", "KICKLEN=390", "MODES=4"] {
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
        XCTAssertEqual(ana.take(), [":test.server CAP * LS :", ":test.server CAP * NAK :multi-prefix sasl"])
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
        harness.send(ana, "NICK ana")
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
        XCTAssertEqual(guest.take(), ["<ana> hello yourself", "* ana bows", "-ana- fyi"], "CTCP queries are not chat")
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

    func testLongMessagesFromIRCClientsArriveSplitNotCut() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        let text = String(repeating: "abc ", count: 124)  // 496 bytes: fits the input line, not the relayed one
        harness.send(ana, "PRIVMSG bob :" + text)
        let lines = bob.take()
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 510 })
    }
}

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
        XCTAssertEqual(bob.take(), [":test.server 321 bob Channel :Users  Name", ":test.server 322 bob #x 1 :",
                                    ":test.server 323 bob :End of /LIST"], "secret #y is hidden")
        harness.send(bob, "PART #x")
        XCTAssertEqual(bob.take(), [":test.server 442 bob #x :You're not on that channel"])
        harness.send(op, "JOIN 0")
        XCTAssertEqual(op.take(), [":op!op@127.0.0.1 PART #x", ":op!op@127.0.0.1 PART #y"])
        XCTAssertEqual(harness.server.roomCount, 0)
    }
}

final class IRCQueryTests: XCTestCase {
    func testWhoWhoisWhowasIsonUserhost() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "JOIN #x")
        harness.send(bob, "JOIN #x")
        _ = ana.take()
        harness.send(ana, "WHO #x")
        XCTAssertEqual(ana.take(), [":test.server 352 ana #x ana 127.0.0.1 test.server ana H@ :0 ana Real",
                                    ":test.server 352 ana #x bob 127.0.0.1 test.server bob H :0 bob Real",
                                    ":test.server 315 ana #x :End of /WHO list"])
        harness.send(ana, "WHOIS bob")
        XCTAssertEqual(ana.take().map { String($0.split(separator: " ")[1]) }, ["311", "319", "312", "317", "318"])
        harness.send(ana, "ISON bob nobody ANA")
        harness.send(ana, "USERHOST bob")
        XCTAssertEqual(ana.take(), [":test.server 303 ana :bob ana", ":test.server 302 ana :bob=+bob@127.0.0.1"])
        harness.send(bob, "QUIT")
        harness.send(ana, "WHOWAS bob")
        XCTAssertEqual(Array(ana.take().suffix(3)), [":test.server 314 ana bob bob 127.0.0.1 * :bob Real",
                                                     ":test.server 312 ana bob test.server :relay",
                                                     ":test.server 369 ana bob :End of WHOWAS"])
        harness.send(ana, "WHOIS bob")
        harness.send(ana, "WHOWAS nobody")
        XCTAssertEqual(ana.take(), [":test.server 401 ana bob :No such nick/channel", ":test.server 318 ana bob :End of /WHOIS list",
                                    ":test.server 406 ana nobody :There was no such nickname", ":test.server 369 ana nobody :End of WHOWAS"])
    }

    func testServerQueries() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        for command in ["VERSION", "TIME", "INFO", "HELP", "HELP JOIN", "HELP NOPE", "MOTD", "LUSERS"] {
            harness.send(ana, command)
        }
        let codes = ana.take().map { String($0.split(separator: " ")[1]) }
        XCTAssertEqual(codes, ["351", "391", "371", "371", "371", "374", "704", "706", "704", "705", "706", "524", "422",
                               "251", "252", "253", "254", "255", "265", "266"])
    }

    func testFormatTime() {
        XCTAssertEqual(ChatServer.formatTime(0), "Thu Jan 1 1970 00:00:00 UTC")
        XCTAssertEqual(ChatServer.formatTime(1_795_770_000), "Fri Nov 27 2026 09:00:00 UTC")
    }

    func testOperatorsKillWallopsAndActAnywhere() {
        let harness = Harness { $0.operators = ["root": "hunter2"] }
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob"), cy = harness.ircUser("cy")
        harness.send(ana, "KILL bob :nope")
        harness.send(ana, "OPER root wrong")
        harness.send(ana, "OPER admin hunter2")
        XCTAssertEqual(ana.take(), [":test.server 481 ana :Permission Denied- You're not an IRC operator",
                                    ":test.server 464 ana :Password incorrect",
                                    ":test.server 491 ana :No O-lines for your host"])
        harness.send(ana, "OPER root hunter2")
        XCTAssertEqual(ana.take(), [":test.server 381 ana :You are now an IRC operator", ":ana!ana@127.0.0.1 MODE ana +o"])
        harness.send(bob, "JOIN #b")
        harness.send(cy, "JOIN #b")
        harness.send(ana, "MODE #b +m")
        harness.send(ana, "KICK #b cy :oper says")
        XCTAssertEqual(cy.take().suffix(2), [":ana!ana@127.0.0.1 MODE #b +m", ":ana!ana@127.0.0.1 KICK #b cy :oper says"])
        harness.send(cy, "MODE cy +w")
        harness.send(ana, "WALLOPS :maintenance at noon")
        XCTAssertEqual(cy.take(), [":cy!cy@127.0.0.1 MODE cy +w", ":ana!ana@127.0.0.1 WALLOPS :maintenance at noon"])
        harness.send(ana, "KILL bob :spamming")
        XCTAssertEqual(bob.take().suffix(2), [":ana!ana@127.0.0.1 KILL bob :spamming",
                                              "ERROR :Closing Link: 127.0.0.1 (Killed (ana (spamming)))"])
        XCTAssertTrue(bob.closed)
    }

    func testUserModes() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), _ = harness.ircUser("bob")
        harness.send(ana, "MODE bob +i")
        harness.send(ana, "MODE ana")
        harness.send(ana, "MODE ana +q")
        XCTAssertEqual(ana.take(), [":test.server 502 ana :Cant change mode for other users", ":test.server 221 ana +",
                                    ":test.server 501 ana :Unknown MODE flag"])
    }
}

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

    func testLinesHeldByFloodControlStillArriveWhenTheSenderHangsUp() {
        let harness = Harness { $0.floodBurst = 2 }
        let ana = harness.plainUser(nick: "ana"), bob = harness.plainUser(nick: "bob")
        harness.advance(by: .seconds(10))
        _ = bob.take()
        for index in 1...6 { harness.send(ana, "line \(index)") }
        harness.server.connectionLost(ana.id, reason: "Remote host closed the connection", now: harness.now)
        XCTAssertEqual(bob.take(), (1...6).map { "<ana> line \($0)" } + ["-!- ana quit (Remote host closed the connection)"])
    }

    func testRateZeroTurnsItOff() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        for index in 1...300 { harness.send(ana, "PRIVMSG bob :\(index)") }
        XCTAssertEqual(bob.take().count, 300)
    }

    func testMaxPerIP() {
        let harness = Harness { $0.maxPerIP = 2 }
        let first = harness.plainUser(), second = harness.plainUser()
        let third = harness.connect()
        XCTAssertEqual(third.take(), ["ERROR :Closing Link: 127.0.0.1 (Too many connections from 127.0.0.1 (at most 2))"])
        XCTAssertFalse(first.closed || second.closed)
    }
}
