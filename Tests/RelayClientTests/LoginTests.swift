import RelayClient
import RelayIRC
import XCTest

/// SASL (PLAIN, EXTERNAL, optional) and NickServ, lines in and lines out.
final class LoginTests: SessionTestCase {
    func testSASLPlainLogsInBeforeRegisteringAndJoinsOnlyAfterwards() {
        let client = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "s3cret") }
        XCTAssertEqual(out(client), ["CAP LS 302", "NICK ana", "USER ana 0 * :ana"])
        feed(client, ":srv CAP * LS * :multi-prefix server-time")
        XCTAssertEqual(out(client), [], "waits for the last LS line")
        feed(client, ":srv CAP * LS :sasl=PLAIN,EXTERNAL message-tags")
        XCTAssertEqual(out(client), ["CAP REQ sasl"])
        feed(client, ":srv CAP * ACK :sasl")
        XCTAssertEqual(out(client), ["AUTHENTICATE PLAIN"])
        feed(client, "AUTHENTICATE +")
        XCTAssertEqual(out(client), ["AUTHENTICATE " + Base64.encode(Array("ana\0ana\0s3cret".utf8))])
        feed(client, ":srv 900 ana ana!ana@h ana :You are now logged in as ana")
        XCTAssertEqual(out(client), [])
        feed(client, ":srv 903 ana :SASL authentication successful")
        XCTAssertEqual(out(client), ["CAP END"])
        XCTAssertEqual(feed(client, ":srv 001 ana :Welcome"), [.registered(nick: "ana")])
        XCTAssertEqual(out(client), ["JOIN #ops"])
    }

    func testSASLExternalSendsAnEmptyPayload() {
        let client = session { $0.sasl = SASLLogin(mechanism: .external) }
        _ = out(client)
        feed(client, ":srv CAP * LS :sasl")
        feed(client, ":srv CAP * ACK :sasl")
        XCTAssertEqual(out(client), ["CAP REQ sasl", "AUTHENTICATE EXTERNAL"])
        feed(client, "AUTHENTICATE +")
        XCTAssertEqual(out(client), ["AUTHENTICATE +"])
    }

    func testALongPayloadGoesIn400BytePiecesEndingWithPlusWhenTheLastIsFull() {
        // 300 payload bytes encode to exactly 400 Base64 characters.
        let password = String(repeating: "p", count: 300 - 2 - 2 * 3)
        let client = session { $0.sasl = SASLLogin(mechanism: .plain, user: "bob", password: password) }
        _ = out(client)
        feed(client, ":srv CAP * LS :sasl")
        feed(client, ":srv CAP * ACK :sasl")
        _ = out(client)
        feed(client, "AUTHENTICATE +")
        let lines = out(client)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0].count, "AUTHENTICATE ".count + 400)
        XCTAssertEqual(lines[1], "AUTHENTICATE +")
    }

    func testARefusedLoginFailsAsAnAuthenticationFailure() {
        let client = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "wrong") }
        _ = out(client)
        feed(client, ":srv CAP * LS :sasl")
        feed(client, ":srv CAP * ACK :sasl")
        feed(client, "AUTHENTICATE +")
        _ = out(client)
        let events = feed(client, ":srv 904 ana :SASL authentication failed")
        XCTAssertEqual(events, [.failed(.authenticationFailed("SASL: the server refused the login: SASL authentication failed"))])
        XCTAssertEqual(SessionFailure.authenticationFailed("x").exitStatus, ExitStatus.authentication)
        XCTAssertTrue(SessionFailure.authenticationFailed("x").isRefusal, "no reconnect: it would be refused again")
        XCTAssertEqual(out(client), [], "no CAP END: registration never completes")
    }

    func testNoSASLOnTheServerFailsUnlessOptional() {
        let strict = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw") }
        XCTAssertEqual(feed(strict, ":srv CAP * LS :multi-prefix"),
                       [.failed(.authenticationFailed("SASL: the server does not offer SASL"))])
        let mechanism = session { $0.sasl = SASLLogin(mechanism: .external) }
        XCTAssertEqual(feed(mechanism, ":srv CAP * LS :sasl=PLAIN"),
                       [.failed(.authenticationFailed("SASL: the server offers SASL PLAIN, not EXTERNAL"))])

        let relaxed = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw", optional: true) }
        _ = out(relaxed)
        XCTAssertEqual(feed(relaxed, ":srv CAP * LS :multi-prefix"),
                       [.warning("SASL: the server does not offer SASL; going on without logging in (--sasl-optional)")])
        XCTAssertEqual(out(relaxed), ["CAP END"])
        XCTAssertEqual(feed(relaxed, ":srv 001 ana :Welcome"), [.registered(nick: "ana")])
    }

    func testAnOptionalLoginWithAWrongPasswordIsAWarningNotSilence() {
        let relaxed = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "wrong", optional: true) }
        feed(relaxed, ":srv CAP * LS :sasl=PLAIN")
        feed(relaxed, ":srv CAP ana ACK :sasl")
        feed(relaxed, "AUTHENTICATE +")
        _ = out(relaxed)
        XCTAssertEqual(feed(relaxed, ":srv 904 ana :SASL authentication failed"),
                       [.warning("SASL: the server refused the login: SASL authentication failed; going on without logging in (--sasl-optional)")])
    }

    func testAServerThatIgnoresCAPAndRegistersUsIsAFailureForARequiredLogin() {
        let client = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw") }
        XCTAssertEqual(feed(client, ":srv 001 ana :Welcome"),
                       [.failed(.authenticationFailed("SASL: the server registered us without a login (it offers no SASL)"))])
        let old = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw") }
        XCTAssertEqual(feed(old, ":srv 421 * CAP :Unknown command"),
                       [.failed(.authenticationFailed("SASL: the server does not support CAP"))])
    }

    func testNickServIdentifyWaitsForTheAnswerBeforeJoining() {
        let client = session { $0.nickservPassword = "s3cret" }
        XCTAssertEqual(out(client), ["NICK ana", "USER ana 0 * :ana"])
        XCTAssertEqual(feed(client, ":srv 001 ana :Welcome"), [])
        XCTAssertEqual(out(client), ["PRIVMSG NickServ :IDENTIFY s3cret"])
        XCTAssertEqual(feed(client, ":NickServ!s@services NOTICE ana :This nickname is registered. Please identify via /msg NickServ IDENTIFY"),
                       [.chat(ChatLine(room: nil, nick: "NickServ", text: "This nickname is registered. Please identify via /msg NickServ IDENTIFY", kind: .notice))])
        XCTAssertEqual(out(client), [], "a reminder is not the answer")
        XCTAssertEqual(feed(client, ":NickServ!s@services NOTICE ana :You are now identified for \u{2}ana\u{2}."),
                       [.serverText("NickServ: You are now identified for \u{2}ana\u{2}."), .registered(nick: "ana")])
        XCTAssertEqual(out(client), ["JOIN #ops"])
    }

    func testNickServRefusalFailsAndSilenceJoinsAnyway() {
        let refused = session { $0.nickservPassword = "wrong" }
        feed(refused, ":srv 001 ana :Welcome")
        XCTAssertEqual(feed(refused, ":NickServ!s@services NOTICE ana :Invalid password for \u{2}ana\u{2}."),
                       [.failed(.authenticationFailed("NickServ: Invalid password for \u{2}ana\u{2}."))])

        let silent = session {
            $0.nickservPassword = "pw"
            $0.nickservTimeout = .seconds(10)
        }
        feed(silent, ":srv 001 ana :Welcome")
        _ = out(silent)
        XCTAssertEqual(silent.nextDeadline(now: now), now + .seconds(10))
        XCTAssertEqual(silent.tick(now: now + .seconds(10)),
                       [.serverText("NickServ did not answer IDENTIFY; joining anyway"), .registered(nick: "ana")])
        XCTAssertEqual(out(silent), ["JOIN #ops"])
    }

    func testJunkInACapabilityListIsSkipped() {
        // Found by fuzzing (fuzz/regressions/ClientSession): "=" alone trapped.
        let client = session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw") }
        _ = out(client)
        feed(client, ":srv CAP * LS := =x sasl")
        XCTAssertEqual(out(client), ["CAP REQ sasl"])
    }

    func testBase64RoundTrips() {
        for text in ["", "a", "ab", "abc", "abcd", "ana\0ana\0pw", String(repeating: "é", count: 100)] {
            let bytes = Array(text.utf8)
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("\0ana\0pw".utf8)), "AGFuYQBwdw==")
        XCTAssertNil(Base64.decode("abc"))
        XCTAssertNil(Base64.decode("ab=c"))
    }
}
