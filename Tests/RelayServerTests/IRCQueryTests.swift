@testable import RelayServer
import XCTest

final class IRCQueryTests: XCTestCase {
    func testWhoisSaysWhoIsOnTLSAndReloadChangesTheMOTDAndPasswordForNewcomers() {
        let harness = Harness()
        let ana = harness.ircUser("ana", secure: true), bob = harness.ircUser("bob")
        harness.send(bob, "WHOIS ana")
        XCTAssertTrue(bob.take().contains(":test.server 671 bob ana :is using a secure connection"))
        harness.send(ana, "WHOIS bob")
        XCTAssertFalse(ana.take().contains { $0.contains(" 671 ") })

        harness.server.reloadFiles(motd: ["new day"], password: "pw")
        harness.send(ana, "MOTD")
        XCTAssertEqual(ana.take().map { String($0.split(separator: " ")[1]) }, ["375", "372", "376"])
        let late = harness.connect()
        harness.send(late, "NICK late")
        harness.send(late, "USER late 0 * :late")
        XCTAssertTrue(late.take().contains { $0.contains(" 464 ") }, "a newcomer needs the new password")
    }

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
        harness.advance(by: .seconds(5))  // WHO cost four flood tokens
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
