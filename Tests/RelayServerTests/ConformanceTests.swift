import RelayIRC
@testable import RelayServer
import XCTest

/// The protocol details real clients rely on (modern.ircdocs.horse), lines in and out.
final class ConformanceTests: XCTestCase {
    func testAnOverlongMessageIsOneTruncatedLineForIRCAndWholeForPlainReaders() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        let guest = harness.plainUser()
        for client in [ana, bob] { harness.send(client, "JOIN #lobby") }
        _ = ana.take(); _ = bob.take(); _ = guest.take()
        // 490 bytes: within the input limit, but not once ":ana!ana@127.0.0.1 PRIVMSG #lobby :" is added.
        let text = TextSplitter.prefix(String(repeating: "žluť ", count: 100), maxBytes: 490)
        harness.send(ana, "PRIVMSG #lobby :" + text)
        let lines = bob.take()
        XCTAssertEqual(lines.count, 1, "one message in, one message out")
        guard let line = lines.first else { return }
        XCTAssertLessThanOrEqual(line.utf8.count + 2, 512)
        XCTAssertGreaterThan(line.utf8.count + 2, 505, "cut as late as a character boundary allows")
        XCTAssertFalse(line.contains("\u{FFFD}"), "cut between characters")
        let said = String(line.split(separator: ":", maxSplits: 2)[1])
        XCTAssertTrue(text.hasPrefix(said) && said.count < text.count)
        let plain = guest.take()
        XCTAssertGreaterThan(plain.count, 1)
        XCTAssertEqual(plain.map { String($0.dropFirst("<ana> ".count)) }.joined().filter { $0 != " " },
                       text.filter { $0 != " " }, "plain readers get the whole text")
        harness.send(ana, "PRIVMSG #lobby :" + String(repeating: "x", count: 600))
        XCTAssertEqual(ana.take(), [":test.server 417 ana :Input line was too long"])
        XCTAssertEqual(bob.take(), [])
    }

    func testLusersCountsRegisteredInvisibleUnknownAndMaxima() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        let bob = harness.ircUser("bob")
        _ = harness.connect()  // not registered yet
        harness.send(bob, "MODE bob +i")
        harness.send(bob, "QUIT")
        harness.send(ana, "MODE ana +i")
        _ = ana.take()
        harness.send(ana, "LUSERS")
        XCTAssertEqual(ana.take(), [
            ":test.server 251 ana :There are 0 users and 1 invisible on 1 servers",
            ":test.server 252 ana 0 :operator(s) online",
            ":test.server 253 ana 1 :unknown connection(s)",
            ":test.server 254 ana 1 :channels formed",
            ":test.server 255 ana :I have 1 clients and 0 servers",
            ":test.server 265 ana 1 2 :Current local users 1, max 2",
            ":test.server 266 ana 1 2 :Current global users 1, max 2",
        ])
    }

    func testInvisibleUsersAreHiddenFromThoseWhoShareNoRoom() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob"), cy = harness.ircUser("cy")
        harness.send(bob, "MODE bob +i")
        harness.send(bob, "JOIN #den")
        harness.send(cy, "JOIN #den")
        _ = ana.take(); _ = bob.take(); _ = cy.take()
        harness.send(ana, "WHO *")
        XCTAssertEqual(ana.take().filter { $0.contains(" 352 ") }.map { $0.split(separator: " ")[7] }, ["ana", "cy"])
        harness.send(ana, "NAMES #den")
        XCTAssertEqual(ana.take().first, ":test.server 353 ana = #den :cy", "bob (+i, op) is left out")
        harness.advance(by: .seconds(5))  // WHO and LIST cost four flood tokens each
        harness.send(ana, "LIST #den")
        XCTAssertEqual(ana.take()[1], ":test.server 322 ana #den 1 :")
        harness.send(cy, "WHO *")
        XCTAssertEqual(cy.take().filter { $0.contains(" 352 ") }.count, 3, "cy shares #den with bob")
    }

    func testSecretRoomsUseTheAtSymbolAndStayHidden() {
        let harness = Harness()
        let ana = harness.ircUser("ana"), bob = harness.ircUser("bob")
        harness.send(ana, "JOIN #hush")
        harness.send(ana, "MODE #hush +s")
        _ = ana.take()
        harness.send(ana, "NAMES #hush")
        XCTAssertEqual(ana.take().first, ":test.server 353 ana @ #hush :@ana")
        harness.send(bob, "LIST")
        XCTAssertFalse(bob.take().contains { $0.contains("#hush") })
        harness.send(bob, "WHOIS ana")
        XCTAssertFalse(bob.take().contains { $0.contains(" 319 ") })
    }

    func testWhowasHonoursItsCountNewestFirst() {
        let harness = Harness()
        let watcher = harness.ircUser("watcher")
        for realname in ["first", "second", "third"] {
            let ana = harness.connect()
            harness.send(ana, "NICK ana")
            harness.send(ana, "USER ana 0 * :\(realname)")
            harness.send(ana, "QUIT")
        }
        harness.send(watcher, "WHOWAS ana 1")
        XCTAssertEqual(watcher.take(), [
            ":test.server 314 watcher ana ana 127.0.0.1 * :third",
            ":test.server 312 watcher ana test.server :relay",
            ":test.server 369 watcher ana :End of WHOWAS",
        ])
    }

    func testRegistrationAndUTF8Rules() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "NICK ana")
        harness.send(ana, "USER ana 0 * :")
        XCTAssertEqual(ana.take(), [":test.server 461 ana USER :Not enough parameters"])
        harness.send(ana, "USER ana 0 * :Ana")
        XCTAssertTrue(ana.take().contains { $0.contains(" 005 ") && $0.contains("UTF8ONLY") })
        let bob = harness.ircUser("bob")
        harness.send(bob, "JOIN #x")
        harness.send(ana, "JOIN #x")
        _ = bob.take(); _ = ana.take()
        harness.server.receive(ana.id, line: ArraySlice(Array("PRIVMSG #x :caf".utf8) + [0xE9]), now: harness.now)
        XCTAssertEqual(ana.take(), [":test.server FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8"])
        XCTAssertEqual(bob.take(), [], "nothing relayed")
    }

    func testChannelKeysAreValidatedNeverMangled() {
        let harness = Harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #x")
        _ = ana.take()
        for bad in ["MODE #x +k :a b", "MODE #x +k a,b", "MODE #x +k " + String(repeating: "k", count: 24), "MODE #x +k :"] {
            harness.send(ana, bad)
            let lines = ana.take()
            XCTAssertEqual(lines.count, 1, bad)
            XCTAssertTrue(lines[0].hasPrefix(":test.server 696 ana #x k "), "\(bad): \(lines)")
        }
        harness.send(ana, "MODE #x")
        XCTAssertEqual(ana.take().first, ":test.server 324 ana #x +nt", "no key was set")
        harness.send(ana, "MODE #x +k sesame")
        XCTAssertEqual(ana.take(), [":ana!ana@127.0.0.1 MODE #x +k sesame"])
    }

    func testBanListsAreBoundedAndListedOncePerLine() {
        let harness = Harness { $0.maxListEntries = 2 }
        let probe = harness.connect()
        harness.send(probe, "NICK probe")
        harness.send(probe, "USER probe 0 * :probe")
        XCTAssertTrue(probe.take().contains { $0.contains(" 005 ") && $0.contains("MAXLIST=b:2") }, "advertised")
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #x")
        harness.send(ana, "MODE #x +b a!*@*")
        harness.send(ana, "MODE #x +b b!*@*")
        _ = ana.take()
        harness.send(ana, "MODE #x +b c!*@*")
        XCTAssertEqual(ana.take(), [":test.server 478 ana #x b :Channel ban list is full"])
        harness.send(ana, "MODE #x " + String(repeating: "b", count: 400))
        XCTAssertEqual(ana.take().filter { $0.contains(" 368 ") }.count, 1, "one list, however many letters")
    }

    func testLobbyIsOptionalAndSmallQueries() {
        let harness = Harness { $0.defaultRoom = nil }
        let guest = harness.connect()
        harness.advance(by: harness.server.config.plainAfter)
        XCTAssertEqual(guest.take().last, "-!- You are not in a room yet: /join ROOM to talk, /rooms to list them.")
        let ana = harness.ircUser("ana")
        harness.send(ana, "HELPOP JOIN")
        XCTAssertTrue(ana.take().first?.contains(" 704 ana JOIN ") == true)
        harness.send(ana, "LINKS")
        XCTAssertEqual(ana.take(), [":test.server 364 ana test.server test.server :0 relay: relay",
                                    ":test.server 365 ana * :End of /LINKS list"])
        harness.send(ana, "JOIN #a,#b")
        _ = ana.take()
        harness.send(ana, "NAMES #a,#b")
        XCTAssertEqual(ana.take().filter { $0.contains(" 366 ") }.count, 2)
        harness.send(ana, "NAMES #a,#b,#c,#d,#e")
        XCTAssertEqual(ana.take(), [":test.server 407 ana #a,#b,#c,#d,#e :Too many recipients"])
    }
}

/// The extensions advertised in 005: WHOX, ELIST, EXCEPTS, INVEX, EXTBAN, +C, STATUSMSG.
final class ExtensionTests: XCTestCase {
    private func room(_ configure: (inout ServerConfig) -> Void = { _ in }) -> (Harness, FakeClient, FakeClient) {
        let harness = Harness { $0.floodRate = 0; $0.defaultRoom = nil; configure(&$0) }
        let op = harness.ircUser("op"), bob = harness.ircUser("bob")
        harness.send(op, "JOIN #x")
        harness.send(bob, "JOIN #x")
        _ = op.take(); _ = bob.take()
        return (harness, op, bob)
    }

    func testWHOXAnswersTheFieldsAskedInItsFixedOrderWithTheToken() {
        let (harness, op, _) = room()
        harness.send(op, "WHO #x %rnuct,42")
        XCTAssertEqual(op.take(), [
            ":test.server 354 op 42 #x op op :op Real",
            ":test.server 354 op 42 #x bob bob :bob Real",
            ":test.server 315 op #x :End of /WHO list",
        ])
        harness.send(op, "WHO *Real* %nf")
        XCTAssertEqual(op.take().dropLast(), [":test.server 354 op bob :H", ":test.server 354 op op :H@"], "masks match realnames too")
        harness.send(op, "WHO b*")
        XCTAssertEqual(op.take().first, ":test.server 352 op #x bob 127.0.0.1 test.server bob H :0 bob Real")
        harness.send(op, "WHO * o")
        XCTAssertEqual(op.take(), [":test.server 315 op * :End of /WHO list"], "no server operators")
    }

    func testELISTConditions() {
        let (harness, op, bob) = room()
        harness.send(bob, "JOIN #solo")
        harness.send(op, "TOPIC #x :hello")
        harness.wallClock += 600
        _ = op.take(); _ = bob.take()
        func list(_ conditions: String) -> [String] {
            harness.send(op, "LIST \(conditions)")
            return op.take().filter { $0.contains(" 322 ") }.map { String($0.split(separator: " ")[3]) }
        }
        XCTAssertEqual(list(">1"), ["#x"])
        XCTAssertEqual(list("<2"), ["#solo"])
        XCTAssertEqual(list("#s*"), ["#solo"])
        XCTAssertEqual(list("!#s*"), ["#x"])
        XCTAssertEqual(list("C>5"), ["#solo", "#x"])
        XCTAssertEqual(list("C<5"), [])
        XCTAssertEqual(list("T>5"), ["#x"], "only rooms with a topic have a topic age")
        XCTAssertEqual(list("#x,#solo"), ["#solo", "#x"])
    }

    func testExceptionAndInviteExceptionListsAndTheirEffects() {
        let (harness, op, bob) = room()
        harness.send(bob, "PART #x")
        harness.send(op, "MODE #x +b bob")
        harness.send(op, "MODE #x +e bob!*@127.0.0.1")
        _ = op.take(); _ = bob.take()
        harness.send(bob, "JOIN #x")
        XCTAssertEqual(bob.take().first, ":bob!bob@127.0.0.1 JOIN #x", "+e exempts from +b")
        harness.send(op, "MODE #x e")
        XCTAssertEqual(op.take().filter { !$0.contains(" JOIN ") && !$0.contains(" 353 ") && !$0.contains(" 366 ") }, [
            ":test.server 348 op #x bob!*@127.0.0.1 op!op@127.0.0.1 :1700000000",
            ":test.server 349 op #x :End of channel exception list",
        ])
        let cy = harness.ircUser("cy")
        harness.send(op, "MODE #x +i")
        harness.send(op, "MODE #x +I cy!*@*")
        harness.send(op, "MODE #x I")
        XCTAssertEqual(op.take().suffix(2), [":test.server 346 op #x cy!*@* op!op@127.0.0.1 :1700000000",
                                            ":test.server 347 op #x :End of channel invite exception list"])
        harness.send(cy, "JOIN #x")
        XCTAssertEqual(cy.take().first, ":cy!cy@127.0.0.1 JOIN #x", "+I lets past +i")
    }

    func testInvitesAreListedAndLetPastTheLimit() {
        let (harness, op, _) = room()
        let cy = harness.ircUser("cy")
        harness.send(op, "MODE #x +l 2")
        harness.send(op, "INVITE cy #x")
        _ = op.take(); _ = cy.take()
        harness.send(cy, "INVITE")
        XCTAssertEqual(cy.take(), [":test.server 336 cy :#x", ":test.server 337 cy :End of /INVITE list"])
        harness.send(cy, "JOIN #x")
        XCTAssertEqual(cy.take().first, ":cy!cy@127.0.0.1 JOIN #x", "an invite lets past +l")
    }

    func testMuteExtbanNoCTCPAndStatusMessages() {
        let (harness, op, bob) = room()
        let cy = harness.ircUser("cy")
        harness.send(cy, "JOIN #x")
        harness.send(op, "MODE #x +b m:bob")
        _ = op.take(); _ = bob.take(); _ = cy.take()
        harness.send(bob, "PRIVMSG #x :can I talk?")
        XCTAssertEqual(bob.take(), [":test.server 404 bob #x :Cannot send to channel (muted)"])
        XCTAssertEqual(cy.take(), [], "muted, but still in")
        harness.send(op, "MODE #x -b+C m:bob!*@*")
        _ = op.take(); _ = bob.take(); _ = cy.take()
        harness.send(bob, "PRIVMSG #x :\u{1}VERSION\u{1}")
        XCTAssertEqual(bob.take(), [":test.server 404 bob #x :Cannot send to channel (no CTCPs)"])
        harness.send(bob, "PRIVMSG #x :\u{1}ACTION waves\u{1}")
        XCTAssertEqual(cy.take(), [":bob!bob@127.0.0.1 PRIVMSG #x :\u{1}ACTION waves\u{1}"], "ACTION is no CTCP query")
        _ = op.take()
        harness.send(cy, "PRIVMSG @#x :ops only")
        XCTAssertEqual(op.take(), [":cy!cy@127.0.0.1 PRIVMSG @#x :ops only"])
        XCTAssertEqual(bob.take(), [])
        harness.send(op, "MODE #x +v bob")
        _ = op.take(); _ = bob.take(); _ = cy.take()
        harness.send(cy, "NOTICE +#x :voiced and ops")
        XCTAssertEqual(op.take(), [":cy!cy@127.0.0.1 NOTICE +#x :voiced and ops"])
        XCTAssertEqual(bob.take(), [":cy!cy@127.0.0.1 NOTICE +#x :voiced and ops"])
    }
}
