import RelayIRC
@testable import RelayServer
import XCTest

/// IRCv3 on `relay serve`: each capability negotiated per client, exact lines
/// out (flood control off: these tests send many lines at one instant).
final class IRCv3Tests: XCTestCase {
    // MARK: CAP 302

    func testCapLs302ListsEverythingAndReqIsAllOrNothing() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.connect()
        harness.send(ana, "CAP LS 302")
        XCTAssertEqual(ana.take(), [":test.server CAP * LS :account-notify account-tag away-notify batch cap-notify chghost "
            + "draft/chathistory draft/message-redaction draft/read-marker draft/relaymsg=/ echo-message extended-join extended-monitor "
            + "invite-notify labeled-response message-tags multi-prefix server-time setname userhost-in-names"])
        harness.send(ana, "CAP REQ :server-time nonsense")
        harness.send(ana, "CAP LIST")
        XCTAssertEqual(ana.take(), [":test.server CAP * NAK :server-time nonsense", ":test.server CAP * LIST :cap-notify"],
                       "a NAK enables nothing; a 302 client has cap-notify")
        harness.send(ana, "CAP REQ :server-time  message-tags ")
        harness.send(ana, "CAP REQ :-message-tags")
        harness.send(ana, "CAP REQ -cap-notify")
        harness.send(ana, "CAP LIST")
        XCTAssertEqual(ana.take(), [":test.server CAP * ACK :server-time  message-tags", ":test.server CAP * ACK :-message-tags",
                                    ":test.server CAP * NAK :-cap-notify", ":test.server CAP * LIST :cap-notify server-time"])
        harness.send(ana, "CAP FROB")
        XCTAssertEqual(ana.take(), [":test.server 410 * FROB :Invalid CAP command"])
    }

    func testALongListIsSentInSeveralLinesTo302ClientsOnly() {
        let name = String(repeating: "s", count: 300) + ".example"
        let harness = Harness { $0.name = name; $0.floodRate = 0 }
        let ana = harness.connect(), bob = harness.connect()
        harness.send(ana, "CAP LS 302")
        harness.send(bob, "CAP LS")
        let lines = ana.take()
        XCTAssertGreaterThan(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasPrefix(":\(name) CAP * LS * :") }, "\(lines)")
        XCTAssertFalse(lines.last!.contains(" LS * "))
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 510 })
        let words = lines.flatMap { $0.split(separator: ":").last!.split(separator: " ") }
        XCTAssertEqual(words.count, Capability.offered.count - 2, "all but sasl and account registration (no --data here)")
        XCTAssertEqual(bob.take().count, 1, "a pre-302 client gets one line")
    }

    func testSTSPointsPlainConnectionsToTLSAndTellsTLSOnesHowLong() {
        let harness = Harness { $0.stsDuration = 86_400; $0.stsPort = 6697 }
        let plain = harness.connect(), secure = harness.connect(secure: true), old = harness.connect()
        harness.send(plain, "CAP LS 302")
        harness.send(secure, "CAP LS 302")
        harness.send(old, "CAP LS")
        XCTAssertTrue(plain.take().first?.hasSuffix(" userhost-in-names sts=port=6697") == true)
        XCTAssertTrue(secure.take().first?.hasSuffix(" userhost-in-names sts=duration=86400") == true)
        XCTAssertFalse(old.take().first?.contains("sts") ?? true, "a policy needs CAP 302's values")
        harness.send(plain, "CAP REQ sts")
        XCTAssertEqual(plain.take(), [":test.server CAP * NAK :sts"], "never requested")
        let offHarness = Harness { $0.stsPort = 6697 }
        let off = offHarness.connect()
        offHarness.send(off, "CAP LS 302")
        XCTAssertFalse(off.take().first?.contains("sts") ?? true, "not without --sts-duration")
    }

    func testCapsCanBeRequestedAfterRegistrationAndCapEndIsThenIgnored() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        harness.send(ana, "CAP REQ :echo-message")
        harness.send(ana, "CAP END")
        harness.send(ana, "CAP LIST")
        XCTAssertEqual(ana.take(), [":test.server CAP ana ACK :echo-message", ":test.server CAP ana LIST :echo-message"])
    }

    // MARK: Tags on messages

    func testServerTimeAndMsgidGoOnlyToThoseWhoAsked() throws {
        let harness = Harness { $0.floodRate = 0 }
        let tagged = harness.ircv3User("tagged", caps: "server-time message-tags")
        let timed = harness.ircv3User("timed", caps: "server-time")
        let old = harness.ircUser("old")
        let plain = harness.plainUser(nick: "pia")
        let bob = harness.ircUser("bob")
        for client in [tagged, timed, old, bob] { harness.send(client, "JOIN #r") }
        harness.send(plain, "/join #r")
        _ = [tagged, timed, old, plain, bob].map { $0.take() }
        harness.send(bob, "PRIVMSG #r :hi")
        let line = try XCTUnwrap(tagged.take().first)
        let msgid = try XCTUnwrap(FakeClient.tag("msgid", of: line))
        XCTAssertEqual(line, "@msgid=\(msgid);time=\(harness.timeTag) :bob!bob@127.0.0.1 PRIVMSG #r :hi")
        XCTAssertEqual(timed.take(), ["@time=\(harness.timeTag) :bob!bob@127.0.0.1 PRIVMSG #r :hi"])
        XCTAssertEqual(old.take(), [":bob!bob@127.0.0.1 PRIVMSG #r :hi"])
        XCTAssertEqual(plain.take(), ["<bob> hi"])
        harness.send(bob, "PRIVMSG #r :again")
        let next = try XCTUnwrap(FakeClient.tag("msgid", of: tagged.take().first ?? ""))
        XCTAssertNotEqual(next, msgid, "every message has its own id")
        _ = timed.take()
        harness.send(bob, "PART #r")
        XCTAssertEqual(timed.take(), ["@time=\(harness.timeTag) :bob!bob@127.0.0.1 PART #r"], "server-time on every event")
    }

    func testClientOnlyTagsReachMessageTagsClientsAndTagmsgNobodyElse() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "message-tags")
        let bob = harness.ircv3User("bob", caps: "message-tags")
        let old = harness.ircUser("old")
        let plain = harness.plainUser(nick: "pia")
        for client in [ana, bob, old] { harness.send(client, "JOIN #r") }
        harness.send(plain, "/join #r")
        _ = [ana, bob, old, plain].map { $0.take() }
        harness.send(ana, "@+typing=active;+draft/react=a\\sb;label=x;evil=1 TAGMSG #r")
        let line = bob.take().first ?? ""
        XCTAssertTrue(line.hasSuffix(";+draft/react=a\\sb;+typing=active :ana!ana@127.0.0.1 TAGMSG #r"), line)
        XCTAssertNil(FakeClient.tag("evil", of: line), "only client-only (+) tags are relayed")
        XCTAssertEqual(old.take(), [])
        XCTAssertEqual(plain.take(), [])
        harness.send(ana, "@+draft/reply=abc PRIVMSG #r :yes")
        XCTAssertEqual(FakeClient.tag("+draft/reply", of: bob.take().first ?? ""), "abc")
        XCTAssertEqual(old.take(), [":ana!ana@127.0.0.1 PRIVMSG #r :yes"])
        XCTAssertEqual(plain.take(), ["<ana> yes"])
        harness.send(ana, "JOIN #m")
        harness.send(ana, "MODE #m +m")
        harness.send(bob, "JOIN #m")
        _ = (ana.take(), bob.take())
        harness.send(bob, "@+typing=active TAGMSG #m")
        XCTAssertEqual(bob.take(), [":test.server 404 bob #m :Cannot send to channel (moderated)"], "TAGMSG keeps the room's rules")
        XCTAssertEqual(ana.take(), [])
        // Tags from a client that did not negotiate message-tags are not relayed.
        harness.send(old, "@+typing=active PRIVMSG #r :hello")
        XCTAssertNil(FakeClient.tag("+typing", of: bob.take().first ?? ""))
    }

    func testTagsPastTheLimitAre417AndATaggedLineIsCutInItsMessageOnly() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "message-tags")
        harness.send(ana, "@+x=" + String(repeating: "a", count: 4100) + " PRIVMSG ana :hi")
        XCTAssertEqual(ana.take(), [":test.server 417 ana :Input line was too long"])
        let long = "@time=2026-01-01T00:00:00.000Z :a!b@c PRIVMSG #r :" + String(repeating: "x", count: 600) + "\r\n"
        let cut = Message.cutToFit(Array(long.utf8))
        XCTAssertEqual(cut.count, 31 + 510 + 2, "tags are not counted against 512")
    }

    func testEchoMessageSendsTheSenderTheSameMessage() throws {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "echo-message message-tags")
        let bob = harness.ircv3User("bob", caps: "message-tags")
        harness.send(ana, "JOIN #r")
        harness.send(bob, "JOIN #r")
        _ = (ana.take(), bob.take())
        harness.send(ana, "PRIVMSG #r :hi")
        let echo = try XCTUnwrap(ana.take().first), seen = try XCTUnwrap(bob.take().first)
        XCTAssertEqual(echo, seen)
        XCTAssertTrue(echo.hasSuffix(" :ana!ana@127.0.0.1 PRIVMSG #r :hi"))
        harness.send(ana, "NOTICE bob :psst")
        XCTAssertEqual(ana.take(), bob.take())
        harness.send(bob, "PRIVMSG #r :no echo for me")
        XCTAssertEqual(bob.take(), [])
    }

    // MARK: labeled-response and batch

    func testLabeledResponsesAreOneLineAnAckOrABatch() throws {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "labeled-response batch")
        harness.send(ana, "@label=p1 PING tok")
        XCTAssertEqual(ana.take(), ["@label=p1 :test.server PONG test.server :tok"])
        harness.send(ana, "@label=m1 PRIVMSG ana2 :hi")
        XCTAssertEqual(ana.take(), ["@label=m1 :test.server 401 ana ana2 :No such nick/channel"])
        harness.send(ana, "@label=j1 JOIN #r")
        let lines = ana.take()
        let id = try XCTUnwrap(lines.first?.split(separator: " ")[3].dropFirst())
        XCTAssertEqual(lines.first, "@label=j1 :test.server BATCH +\(id) labeled-response")
        XCTAssertEqual(lines[1], "@batch=\(id) :ana!ana@127.0.0.1 JOIN #r")
        XCTAssertEqual(lines.last, ":test.server BATCH -\(id)")
        harness.send(ana, "@label=n1 PRIVMSG #r :hello")
        XCTAssertEqual(ana.take(), ["@label=n1 :test.server ACK"], "no reply without echo-message: an ACK")
        let bob = harness.ircUser("bob")
        harness.send(bob, "@label=x PING y")
        XCTAssertEqual(bob.take(), [":test.server PONG test.server :y"], "no label for a client that did not ask")
    }

    func testALabeledQuitStillSaysGoodbye() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "labeled-response batch")
        harness.send(ana, "@label=q QUIT :bye")
        XCTAssertEqual(ana.take(), ["ERROR :Closing Link: 127.0.0.1 (Quit: bye)"])
        XCTAssertTrue(ana.closed)
    }

    // MARK: Names, joins, away

    func testMultiPrefixAndUserhostInNames() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #r")
        harness.send(ana, "MODE #r +v ana")
        let multi = harness.ircv3User("multi", caps: "multi-prefix userhost-in-names")
        harness.send(multi, "JOIN #r")
        _ = (ana.take(), multi.take())
        harness.send(multi, "NAMES #r")
        XCTAssertEqual(multi.take().first, ":test.server 353 multi = #r :@+ana!ana@127.0.0.1 multi!multi@127.0.0.1")
        harness.send(ana, "NAMES #r")
        XCTAssertEqual(ana.take().first, ":test.server 353 ana = #r :@ana multi")
        harness.send(multi, "WHO #r")
        XCTAssertEqual(multi.take().first, ":test.server 352 multi #r ana 127.0.0.1 test.server ana H@+ :0 ana Real")
    }

    func testExtendedJoinAndAwayNotify() {
        let harness = Harness { $0.floodRate = 0 }
        let watcher = harness.ircv3User("watcher", caps: "extended-join away-notify")
        let old = harness.ircUser("old")
        harness.send(watcher, "JOIN #r")
        harness.send(old, "JOIN #r")
        let ana = harness.ircUser("ana")
        harness.send(ana, "AWAY :lunch")
        _ = [watcher, old, ana].map { $0.take() }
        harness.send(ana, "JOIN #r")
        XCTAssertEqual(watcher.take(), [":ana!ana@127.0.0.1 JOIN #r * :ana Real", ":ana!ana@127.0.0.1 AWAY :lunch"])
        XCTAssertEqual(old.take(), [":ana!ana@127.0.0.1 JOIN #r"])
        harness.send(ana, "AWAY")
        XCTAssertEqual(watcher.take(), [":ana!ana@127.0.0.1 AWAY"])
        XCTAssertEqual(old.take(), [])
    }

    func testSetnameIsToldToThoseWhoAskedAndChecked() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "setname")
        let bob = harness.ircv3User("bob", caps: "setname")
        let old = harness.ircUser("old")
        for client in [ana, bob, old] { harness.send(client, "JOIN #r") }
        _ = [ana, bob, old].map { $0.take() }
        harness.send(ana, "SETNAME :Ana Lovelace")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 SETNAME :Ana Lovelace"])
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 SETNAME :Ana Lovelace"])
        XCTAssertEqual(old.take(), [])
        harness.send(old, "WHOIS ana")
        XCTAssertEqual(old.take().first, ":test.server 311 old ana ana 127.0.0.1 * :Ana Lovelace")
        harness.send(ana, "SETNAME :" + String(repeating: "x", count: 101))
        XCTAssertEqual(ana.take(), [":test.server FAIL SETNAME INVALID_REALNAME :Realname is empty or longer than 100 bytes"])
    }

    func testInviteNotifyTellsTheRoom() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        let member = harness.ircv3User("member", caps: "invite-notify")
        let old = harness.ircUser("old")
        for client in [ana, member, old] { harness.send(client, "JOIN #r") }
        let bob = harness.ircUser("bob")
        _ = [ana, member, old].map { $0.take() }
        harness.send(ana, "INVITE bob #r")
        XCTAssertEqual(member.take(), [":ana!ana@127.0.0.1 INVITE bob #r"])
        XCTAssertEqual(old.take(), [])
        XCTAssertEqual(bob.take(), [":ana!ana@127.0.0.1 INVITE bob #r"])
    }

    // MARK: MONITOR

    func testMonitorTellsWhenNicksComeAndGo() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        harness.send(ana, "MONITOR + bob,Carol")
        XCTAssertEqual(ana.take(), [":test.server 731 ana :bob,Carol"])
        let bob = harness.ircUser("bob")
        XCTAssertEqual(ana.take(), [":test.server 730 ana :bob!bob@127.0.0.1"])
        harness.send(bob, "NICK carol")
        XCTAssertEqual(ana.take(), [":test.server 731 ana :bob", ":test.server 730 ana :carol!bob@127.0.0.1"])
        harness.send(ana, "MONITOR L")
        XCTAssertEqual(ana.take(), [":test.server 732 ana :bob,carol", ":test.server 733 ana :End of MONITOR list"])
        harness.send(ana, "MONITOR S")
        XCTAssertEqual(ana.take(), [":test.server 730 ana :carol!bob@127.0.0.1", ":test.server 731 ana :bob"])
        harness.send(bob, "QUIT :bye")
        XCTAssertEqual(ana.take(), [":test.server 731 ana :carol"])
        harness.send(ana, "MONITOR - carol")
        harness.send(ana, "MONITOR C")
        harness.send(ana, "MONITOR L")
        XCTAssertEqual(ana.take(), [":test.server 733 ana :End of MONITOR list"])
        XCTAssertTrue(harness.server.monitors.isEmpty)
    }

    func testMonitorListIsBoundedAndFreedOnQuit() {
        let harness = Harness { $0.monitorLimit = 3; $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        harness.send(ana, "MONITOR + a1,a2,a3,a4,a5")
        XCTAssertEqual(ana.take(), [":test.server 734 ana 3 a4,a5 :Monitor list is full.", ":test.server 731 ana :a1,a2,a3"])
        harness.send(ana, "QUIT")
        XCTAssertTrue(harness.server.monitors.isEmpty, "a watcher that leaves watches nothing")
    }

    func testExtendedMonitorSendsAwayOfWatchedNicksOutsideRooms() {
        let harness = Harness { $0.floodRate = 0 }
        let watcher = harness.ircv3User("watcher", caps: "extended-monitor away-notify")
        let plainWatcher = harness.ircv3User("pw", caps: "away-notify")
        let ana = harness.ircUser("ana")
        harness.send(watcher, "MONITOR + ana")
        harness.send(plainWatcher, "MONITOR + ana")
        _ = [watcher, plainWatcher].map { $0.take() }
        harness.send(ana, "AWAY :gone")
        XCTAssertEqual(watcher.take(), [":ana!ana@127.0.0.1 AWAY :gone"])
        XCTAssertEqual(plainWatcher.take(), [])
    }

    // MARK: Bot mode

    func testBotModeTagsWhatABotSaysAndShowsInWhoisAndWho() {
        let harness = Harness { $0.floodRate = 0 }
        let bot = harness.ircUser("bot")
        let ana = harness.ircv3User("ana", caps: "message-tags")
        harness.send(bot, "MODE bot +B")
        XCTAssertEqual(bot.take(), [":bot!bot@127.0.0.1 MODE bot +B"])
        harness.send(bot, "PRIVMSG ana :beep")
        let line = ana.take().first ?? ""
        XCTAssertEqual(FakeClient.tag("bot", of: line), "")
        XCTAssertTrue(line.hasSuffix(" :bot!bot@127.0.0.1 PRIVMSG ana :beep"))
        harness.send(ana, "WHOIS bot")
        XCTAssertTrue(ana.take().contains(":test.server 335 ana bot :is a Bot on relay"))
        harness.send(ana, "WHO bot")
        XCTAssertEqual(ana.take().first, ":test.server 352 ana * bot 127.0.0.1 test.server bot HB :0 bot Real")
    }

    // MARK: chathistory

    private func roomWithHistory(_ harness: Harness, lines: Int) -> (FakeClient, [String]) {
        let ana = harness.ircv3User("ana", caps: "echo-message message-tags server-time batch draft/chathistory")
        harness.send(ana, "JOIN #r")
        _ = ana.take()
        var ids: [String] = []
        for index in 1...lines {
            harness.wallClock += 1
            harness.send(ana, "PRIVMSG #r :line \(index)")
            ids.append(FakeClient.tag("msgid", of: ana.take().first ?? "") ?? "?")
        }
        return (ana, ids)
    }

    /// The texts of the PRIVMSGs in a chathistory batch, checking its framing.
    private func played(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        guard let open = lines.first, open.contains(" BATCH +"), lines.last?.contains(" BATCH -") == true else {
            XCTFail("not a batch: \(lines)", file: file, line: line)
            return []
        }
        let id = open.split(separator: " ")[2].dropFirst()
        XCTAssertTrue(open.hasSuffix(" chathistory #r"), open, file: file, line: line)
        return lines.dropFirst().dropLast().map { body in
            XCTAssertEqual(FakeClient.tag("batch", of: body), String(id), file: file, line: line)
            return String(body.split(separator: ":").last ?? "")
        }
    }

    func testChathistorySelectorsReturnTheRightLinesOldestFirst() {
        let harness = Harness { $0.floodRate = 0 }
        let (ana, ids) = roomWithHistory(harness, lines: 10)
        harness.send(ana, "CHATHISTORY LATEST #r * 3")
        XCTAssertEqual(played(ana.take()), ["line 8", "line 9", "line 10"])
        harness.send(ana, "CHATHISTORY BEFORE #r msgid=\(ids[4]) 2")
        XCTAssertEqual(played(ana.take()), ["line 3", "line 4"])
        harness.send(ana, "CHATHISTORY AFTER #r msgid=\(ids[4]) 2")
        XCTAssertEqual(played(ana.take()), ["line 6", "line 7"])
        harness.send(ana, "CHATHISTORY AFTER #r timestamp=\(ServerTime.format(millis: (1_700_000_008) * 1000)) 5")
        XCTAssertEqual(played(ana.take()), ["line 9", "line 10"])
        harness.send(ana, "CHATHISTORY BETWEEN #r msgid=\(ids[1]) msgid=\(ids[5]) 10")
        XCTAssertEqual(played(ana.take()), ["line 3", "line 4", "line 5"])
        harness.send(ana, "CHATHISTORY BETWEEN #r msgid=\(ids[5]) msgid=\(ids[1]) 2")
        XCTAssertEqual(played(ana.take()), ["line 4", "line 5"], "backwards: the latest before the first reference")
        harness.send(ana, "CHATHISTORY AROUND #r msgid=\(ids[4]) 3")
        XCTAssertEqual(played(ana.take()), ["line 4", "line 5", "line 6"])
        harness.send(ana, "CHATHISTORY LATEST #r msgid=\(ids[7]) 50")
        XCTAssertEqual(played(ana.take()), ["line 9", "line 10"])
    }

    func testChathistoryLinesKeepTheirTimeAndMsgid() throws {
        let harness = Harness { $0.floodRate = 0 }
        let (ana, ids) = roomWithHistory(harness, lines: 2)
        harness.wallClock += 3600
        harness.send(ana, "CHATHISTORY LATEST #r * 1")
        let line = try XCTUnwrap(ana.take().dropFirst().first)
        XCTAssertEqual(FakeClient.tag("msgid", of: line), ids[1])
        XCTAssertEqual(FakeClient.tag("time", of: line), ServerTime.format(millis: 1_700_000_002_000))
        XCTAssertTrue(line.hasSuffix(" :ana!ana@127.0.0.1 PRIVMSG #r :line 2"))
    }

    func testChathistoryRefusesOutsidersAndBadParametersAndIsBounded() {
        let harness = Harness { $0.chathistoryLimit = 4; $0.historyLength = 50; $0.floodRate = 0 }
        let (ana, _) = roomWithHistory(harness, lines: 6)
        let eve = harness.ircv3User("eve", caps: "batch draft/chathistory")
        harness.send(eve, "CHATHISTORY LATEST #r * 10")
        XCTAssertEqual(eve.take(), [":test.server FAIL CHATHISTORY INVALID_TARGET LATEST #r :Messages could not be retrieved: you are not in #r"])
        harness.send(ana, "CHATHISTORY LATEST #r * 0")
        harness.send(ana, "CHATHISTORY BEFORE #r msgid=zzz 5")
        harness.send(ana, "CHATHISTORY FETCH #r * 5")
        XCTAssertEqual(ana.take(), [
            ":test.server FAIL CHATHISTORY INVALID_PARAMS LATEST :The limit must be a number above 0",
            ":test.server FAIL CHATHISTORY INVALID_MSGREFTYPE BEFORE msgid=zzz :Unknown msgid: not one of this server's",
            ":test.server FAIL CHATHISTORY INVALID_PARAMS FETCH :Unknown subcommand",
        ])
        harness.send(ana, "CHATHISTORY LATEST #r * 1000")
        XCTAssertEqual(played(ana.take()).count, 4, "never more than CHATHISTORY= lines")
    }

    func testChathistoryTargetsAndNoBatchWithoutTheCap() {
        let harness = Harness { $0.floodRate = 0 }
        let (ana, _) = roomWithHistory(harness, lines: 2)
        harness.send(ana, "JOIN #quiet")
        _ = ana.take()
        harness.send(ana, "CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00Z timestamp=2030-01-01T00:00:00Z 10")
        let lines = ana.take()
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasSuffix(" draft/chathistory-targets"))
        XCTAssertTrue(lines[1].hasSuffix(" :test.server CHATHISTORY TARGETS #r 2023-11-14T22:13:22.000Z"), lines[1])
        let nobatch = harness.ircv3User("nb", caps: "draft/chathistory")
        harness.send(nobatch, "JOIN #r")
        _ = nobatch.take()
        harness.send(nobatch, "CHATHISTORY LATEST #r * 1")
        XCTAssertEqual(nobatch.take().count, 1, "one line, no BATCH for a client without batch")
    }

    // MARK: read-marker and redaction

    func testReadMarkerIsSentOnJoinAndNeverGoesBack() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "draft/read-marker")
        harness.send(ana, "JOIN #r")
        XCTAssertEqual(ana.take()[1], ":test.server MARKREAD #r *")
        harness.send(ana, "MARKREAD #r timestamp=2026-01-01T10:00:00.000Z")
        harness.send(ana, "MARKREAD #r timestamp=2025-01-01T10:00:00.000Z")
        harness.send(ana, "MARKREAD #R")
        harness.send(ana, "MARKREAD #r timestamp=yesterday")
        XCTAssertEqual(ana.take(), [
            ":test.server MARKREAD #r timestamp=2026-01-01T10:00:00.000Z",
            ":test.server MARKREAD #r timestamp=2026-01-01T10:00:00.000Z",
            ":test.server MARKREAD #R timestamp=2026-01-01T10:00:00.000Z",
            ":test.server FAIL MARKREAD INVALID_PARAMS #r timestamp=yesterday :Invalid timestamp",
        ])
    }

    func testRedactionBySenderOrOperatorRemovesFromHistory() throws {
        let harness = Harness { $0.floodRate = 0 }
        let op = harness.ircv3User("op", caps: "message-tags echo-message draft/message-redaction")
        harness.send(op, "JOIN #r")
        let ana = harness.ircv3User("ana", caps: "message-tags echo-message draft/message-redaction")
        let bob = harness.ircv3User("bob", caps: "message-tags")
        harness.send(ana, "JOIN #r")
        harness.send(bob, "JOIN #r")
        _ = [op, ana, bob].map { $0.take() }
        harness.send(ana, "PRIVMSG #r :oops")
        let id = try XCTUnwrap(FakeClient.tag("msgid", of: ana.take().first ?? ""))
        _ = (op.take(), bob.take())
        harness.send(bob, "REDACT #r \(id) :not yours")
        XCTAssertEqual(bob.take(), [":test.server FAIL REDACT REDACT_FORBIDDEN #r \(id) :You are not authorised to delete this message"])
        harness.send(ana, "REDACT #r \(id) :typo")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 REDACT #r \(id) :typo"])
        XCTAssertEqual(op.take(), [":ana!ana@127.0.0.1 REDACT #r \(id) :typo"])
        XCTAssertEqual(bob.take(), [], "a client without the cap is not told")
        harness.send(ana, "REDACT #r \(id)")
        XCTAssertEqual(ana.take(), [":test.server FAIL REDACT UNKNOWN_MSGID #r \(id) :This message does not exist or is too old"])
        let late = harness.plainUser(nick: "late")
        harness.send(late, "/join #r")
        XCTAssertFalse(late.take().contains("<ana> oops"), "gone from the history late joiners read")
        _ = op.take()
        harness.send(bob, "PRIVMSG #r :mine")
        let other = try XCTUnwrap(FakeClient.tag("msgid", of: op.take().first ?? ""))
        harness.send(op, "REDACT #r \(other)")
        XCTAssertEqual(op.take(), [":op!op@127.0.0.1 REDACT #r \(other)"], "a room operator may")
    }

    // MARK: draft/relaymsg

    func testABridgeRelaysAsThePersonWhoSpokeElsewhere() throws {
        let harness = Harness { $0.floodRate = 0 }
        let bridge = harness.ircv3User("bridge", caps: "draft/relaymsg echo-message message-tags")
        harness.send(bridge, "JOIN #r")
        let tagged = harness.ircv3User("tagged", caps: "message-tags")
        let old = harness.ircUser("old")
        harness.send(tagged, "JOIN #r")
        harness.send(old, "JOIN #r")
        let pia = harness.plainUser(nick: "pia")
        harness.send(pia, "/join #r")
        _ = [bridge, tagged, old, pia].map { $0.take() }
        harness.send(bridge, "RELAYMSG #r ana/libera :hello from there")
        XCTAssertEqual(old.take(), [":ana/libera!relay@127.0.0.1 PRIVMSG #r :hello from there"])
        XCTAssertEqual(pia.take(), ["<ana/libera> hello from there"])
        let line = try XCTUnwrap(tagged.take().first)
        XCTAssertEqual(FakeClient.tag("draft/relaymsg", of: line), "bridge")
        XCTAssertEqual(bridge.take(), [line], "the echo, tagged with who relayed it")
        harness.send(bridge, "RELAYMSG #r ana :no separator")
        harness.send(old, "RELAYMSG #r ana/x :not an operator")
        XCTAssertEqual(bridge.take(), [":test.server FAIL RELAYMSG INVALID_NICK ana :A relayed nick is a valid nick with a / in it"])
        XCTAssertEqual(old.take(), [":test.server FAIL RELAYMSG PRIVS_NEEDED #r :You must be a channel operator (with draft/relaymsg) to relay messages"])
        let late = harness.plainUser(nick: "late")
        harness.send(late, "/join #r")
        XCTAssertTrue(late.take().contains("<ana/libera> hello from there"), "kept in the history")
    }

    // MARK: Limits, tried

    func testALabelPastSixtyFourBytesIsNotEchoed() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "labeled-response batch")
        harness.send(ana, "@label=\(String(repeating: "l", count: 65)) PING t")
        XCTAssertEqual(ana.take(), [":test.server PONG test.server :t"])
    }

    func testReadMarkersAreBoundedPerClient() {
        let harness = Harness { $0.floodRate = 0; $0.channelsPerUser = 5 }
        let ana = harness.ircv3User("ana", caps: "draft/read-marker")
        for index in 0..<100 { harness.send(ana, "MARKREAD #r\(index) timestamp=2026-01-01T00:00:00.000Z") }
        XCTAssertLessThanOrEqual(harness.server.nicks["ana"]?.readMarkers.count ?? 0, 10)
    }

    func testMonitorOfHugeAndBogusListsCostsNothing() {
        let harness = Harness { $0.floodRate = 0 }
        let ana = harness.ircUser("ana")
        for batch in 0..<3 { harness.send(ana, "MONITOR + " + (0..<60).map { "n\(batch)x\($0)" }.joined(separator: ",")) }
        harness.send(ana, "MONITOR + ,,,#chan,1bad,\u{1}x")
        _ = ana.take()
        XCTAssertEqual(harness.server.nicks["ana"]?.monitoring.count, 100, "the limit holds; junk is not watched")
    }
}
