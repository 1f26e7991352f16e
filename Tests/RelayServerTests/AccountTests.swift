import RelayIRC
import XCTest
@testable import RelayServer

/// Accounts with `--data`: registration, login by NickServ, REGISTER, the
/// plain commands and SASL PLAIN; what others see (account-notify,
/// extended-join, account-tag); passwords never said in a room.
final class AccountTests: XCTestCase {
    private var written: [StateChange] = []

    private func harness(accounts: [AccountRecord] = []) -> Harness {
        Harness(persistence: PersistentHistory(msgidPrefix: "p", lastMsgid: 0, accounts: accounts, recent: { _, _ in [] }))
    }

    private let ana = AccountRecord(name: "Ana", passwordHash: "fake$opensesame", createdMillis: 1)

    func testRegisterCommandCreatesTheAccountAndLogsIn() {
        let harness = harness()
        let ana = harness.ircv3User("ana", caps: "account-notify")
        harness.send(ana, "REGISTER * * short")
        XCTAssertEqual(ana.take(), [":test.server FAIL REGISTER WEAK_PASSWORD * :A password has at least 8 characters"])
        harness.send(ana, "REGISTER bob * longenough")
        XCTAssertEqual(ana.take(), [":test.server FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK * :The account name is your nick (or *)"])
        harness.send(ana, "REGISTER * * longenough")
        XCTAssertEqual(ana.take(), [":test.server REGISTER SUCCESS ana :Account created",
                                    ":test.server 900 ana ana!ana@127.0.0.1 ana :You are now logged in as ana"])
        XCTAssertEqual(harness.server.takeStateChanges(), [.account(AccountRecord(name: "ana", passwordHash: "fake$longenough",
                                                                                      createdMillis: 1_700_000_000_000))])
        harness.send(ana, "REGISTER * * longenough")
        XCTAssertEqual(ana.take(), [":test.server FAIL REGISTER ALREADY_AUTHENTICATED * :You are logged in as ana already"])
    }

    func testWithoutDataThereAreNoAccounts() {
        let harness = Harness()
        let bob = harness.ircv3User("bob", caps: "message-tags")
        harness.send(bob, "REGISTER * * longenough")
        XCTAssertEqual(bob.take(), [":test.server FAIL REGISTER TEMPORARILY_UNAVAILABLE * :This server keeps no accounts (relay serve --data DIR)"])
        let cy = harness.connect()
        harness.send(cy, "CAP LS 302")
        XCTAssertFalse(cy.take().joined().contains("sasl"))
        harness.send(cy, "CAP REQ sasl")
        XCTAssertEqual(cy.take(), [":test.server CAP * NAK :sasl"])
        harness.send(cy, "CAP REQ :draft/account-registration multi-prefix")
        XCTAssertEqual(cy.take(), [":test.server CAP * NAK :draft/account-registration multi-prefix"])
    }

    func testNickServIdentifyTellsTheRoomsWhoAskedAndTheNextJoinCarriesTheAccount() {
        let harness = harness(accounts: [ana])
        let watcher = harness.ircv3User("watcher", caps: "account-notify extended-join account-tag")
        let user = harness.ircUser("ana")
        harness.send(watcher, "JOIN #ops")
        harness.send(user, "JOIN #ops")
        _ = watcher.take(); _ = user.take()
        harness.send(user, "PRIVMSG NickServ :IDENTIFY wrong password")
        XCTAssertEqual(user.take(), [":NickServ!NickServ@services. NOTICE ana :No account wrong"])
        harness.send(user, "PRIVMSG NickServ :IDENTIFY not-it")
        XCTAssertEqual(user.take(), [":NickServ!NickServ@services. NOTICE ana :Wrong password"])
        XCTAssertEqual(watcher.take(), [], "nothing of it reaches anyone else")
        harness.send(user, "PRIVMSG NickServ :IDENTIFY Ana opensesame")
        XCTAssertEqual(user.take(), [":test.server 900 ana ana!ana@127.0.0.1 Ana :You are now logged in as Ana",
                                     ":NickServ!NickServ@services. NOTICE ana :You are now identified for Ana"])
        XCTAssertEqual(watcher.take(), ["@account=Ana :ana!ana@127.0.0.1 ACCOUNT Ana"])
        harness.send(user, "PRIVMSG #ops :hello")
        XCTAssertEqual(watcher.take().first.flatMap { FakeClient.tag("account", of: $0) }, "Ana")
        harness.send(user, "PART #ops")
        harness.send(user, "JOIN #ops")
        XCTAssertTrue(watcher.take().contains { $0.hasSuffix("JOIN #ops Ana :ana Real") })
    }

    func testSASLPlainBeforeRegistration() {
        let harness = harness(accounts: [ana])
        let client = harness.connect()
        harness.send(client, "CAP LS 302")
        let listed = client.take().joined()
        XCTAssertTrue(listed.contains("sasl=PLAIN,EXTERNAL") && listed.contains("draft/account-registration"), listed)
        harness.send(client, "CAP REQ sasl")
        harness.send(client, "NICK ana")
        harness.send(client, "USER ana 0 * :Ana")
        harness.send(client, "AUTHENTICATE SCRAM-SHA-256")
        XCTAssertEqual(Array(client.take().suffix(2)), [":test.server 908 ana PLAIN,EXTERNAL :are available SASL mechanisms",
                                                        ":test.server 904 ana :SASL authentication failed"])
        harness.send(client, "AUTHENTICATE PLAIN")
        XCTAssertEqual(client.take(), ["AUTHENTICATE +"])
        harness.send(client, "AUTHENTICATE " + Base64.encode(Array("\0ana\0opensesame".utf8)))
        XCTAssertEqual(client.take(), [":test.server 900 ana * Ana :You are now logged in as Ana",
                                       ":test.server 903 ana :SASL authentication successful"])
        harness.send(client, "CAP END")
        XCTAssertTrue(client.take().contains { $0.contains(" 001 ana ") })
        harness.send(client, "WHOIS ana")
        XCTAssertTrue(client.take().contains(":test.server 330 ana ana Ana :is logged in as"))
    }

    func testSASLWithAWrongPasswordOrAnUnknownAccountFails() {
        let harness = harness(accounts: [ana])
        let client = harness.connect()
        harness.send(client, "CAP REQ sasl")
        harness.send(client, "AUTHENTICATE PLAIN")
        harness.send(client, "AUTHENTICATE " + Base64.encode(Array("\0ana\0guess".utf8)))
        XCTAssertEqual(Array(client.take().suffix(1)), [":test.server 904 * :SASL authentication failed"])
        harness.send(client, "AUTHENTICATE PLAIN")
        harness.send(client, "AUTHENTICATE " + Base64.encode(Array("\0nobody\0guess".utf8)))
        XCTAssertEqual(Array(client.take().suffix(1)), [":test.server 904 * :SASL authentication failed"])
        harness.send(client, "AUTHENTICATE PLAIN")
        harness.send(client, "AUTHENTICATE *")
        XCTAssertEqual(Array(client.take().suffix(1)), [":test.server 906 * :SASL authentication aborted"])
    }

    func testPlainUsersRegisterAndLogInAndTheirPasswordsAreNeverSaid() {
        let harness = harness(accounts: [ana])
        let pia = harness.plainUser(nick: "pia")
        let listener = harness.plainUser(nick: "leo")
        _ = pia.take(); _ = listener.take()
        harness.send(pia, "/register hunter22hunter")
        XCTAssertEqual(pia.take(), ["-!- Account pia registered; you are logged in", "-!- You are logged in as pia"])
        let other = harness.plainUser(nick: "olly")
        harness.send(other, "/login ana wrong-guess")
        harness.send(other, "/login Ana opensesame")
        XCTAssertEqual(Array(other.take().suffix(2)), ["-!- Wrong password", "-!- You are logged in as Ana"])
        XCTAssertFalse(listener.take().contains { $0.contains("hunter") || $0.contains("sesame") || $0.contains("guess") })
    }

    /// A client that started as IRC and turned out a person: its NickServ line is not replayed into the room.
    func testAnIdentifyLineIsASecret() {
        XCTAssertTrue(ChatServer.carriesSecret(Array("PRIVMSG NickServ :IDENTIFY hunter2".utf8)))
        XCTAssertTrue(ChatServer.carriesSecret(Array("REGISTER * * hunter2".utf8)))
        XCTAssertFalse(ChatServer.carriesSecret(Array("PRIVMSG #ops :IDENTIFY yourself".utf8)))
    }

    func testAJobForAConnectionThatLeftIsDropped() {
        let harness = harness(accounts: [ana])
        harness.runsPasswordJobs = false
        let user = harness.ircUser("ana")
        harness.send(user, "PRIVMSG NickServ :IDENTIFY opensesame")
        harness.send(user, "PRIVMSG NickServ :IDENTIFY opensesame")
        XCTAssertEqual(user.take(), [":NickServ!NickServ@services. NOTICE ana :A login is in progress; try again in a moment"])
        harness.send(user, "QUIT")
        harness.runPasswordJobs()  // no crash, nothing sent
        XCTAssertEqual(harness.server.userCount, 0)
    }
}

/// A registered nick belongs to its account: others get a minute to log in, then a guest nick.
final class NickOwnershipTests: XCTestCase {
    private func harness() -> Harness {
        Harness(persistence: PersistentHistory(msgidPrefix: "p", lastMsgid: 0,
                                               accounts: [AccountRecord(name: "ana", passwordHash: "fake$opensesame", createdMillis: 1)],
                                               recent: { _, _ in [] }))
    }

    func testSomeoneElseIsRenamedAfterTheGrace() {
        let harness = harness()
        let watcher = harness.ircUser("watcher")
        let taker = harness.ircUser("ana")
        XCTAssertEqual(harness.server.nextDeadline.map { $0 <= harness.now + .seconds(60) }, true)
        harness.send(watcher, "JOIN #x")
        harness.send(taker, "JOIN #x")
        _ = watcher.take()
        harness.advance(by: .seconds(59))
        XCTAssertEqual(taker.take().filter { $0.contains("NICK") }, [])
        harness.advance(by: .seconds(2))
        let said = taker.take()
        XCTAssertTrue(said.contains(":ana!ana@127.0.0.1 NICK Guest2"), "\(said)")
        XCTAssertTrue(said.contains(":NickServ!NickServ@services. NOTICE Guest2 :You did not log in to ana in time; you are now Guest2"))
        XCTAssertTrue(watcher.take().contains(":ana!ana@127.0.0.1 NICK Guest2"))
    }

    func testTheOwnerLoggingInInTimeKeepsIt() {
        let harness = harness()
        let owner = harness.ircUser("ana")
        XCTAssertTrue(owner.take().isEmpty)  // the warning came with the welcome burst
        harness.send(owner, "PRIVMSG NickServ :IDENTIFY opensesame")
        harness.advance(by: .seconds(120))
        XCTAssertEqual(owner.take().filter { $0.contains(" NICK ") }, [])
    }

    func testAPlainUserTakingTheNickIsWarnedAndRenamed() {
        let harness = harness()
        let pia = harness.plainUser(nick: "pia")
        _ = pia.take()
        harness.send(pia, "/nick ana")
        XCTAssertEqual(pia.take(), ["-!- You are now known as ana",
                                    "-!- NickServ: ana is a registered account: log in within 60 s (/login PASSWORD) or your nick will be changed"])
        harness.advance(by: .seconds(61))
        XCTAssertEqual(pia.take(), ["-!- You are now known as Guest1", "-!- NickServ: You did not log in to ana in time; you are now Guest1"])
    }
}

/// SASL EXTERNAL: a TLS client certificate added to an account logs in to it.
final class CertificateLoginTests: XCTestCase {
    private let fingerprint = String(repeating: "ab", count: 32)

    private func tlsClient(_ harness: Harness, id: ClientID, fingerprint: String?) -> FakeClient {
        let client = FakeClient(id: id)
        harness.server.accept(id, endpoint: client, host: "127.0.0.1", secure: true, awaitingHandshake: true, now: harness.now)
        harness.server.secured(id, now: harness.now, certificateFingerprint: fingerprint)
        return client
    }

    func testCertAddThenSASLExternal() {
        let harness = Harness(persistence: PersistentHistory(msgidPrefix: "p", lastMsgid: 0,
                                                             accounts: [AccountRecord(name: "ana", passwordHash: "fake$opensesame", createdMillis: 1)],
                                                             recent: { _, _ in [] }))
        let first = tlsClient(harness, id: 50, fingerprint: fingerprint)
        for line in ["NICK ana", "USER ana 0 * :Ana", "PRIVMSG NickServ :IDENTIFY opensesame", "PRIVMSG NickServ :CERT ADD"] {
            harness.send(first, line)
        }
        XCTAssertEqual(first.take().last, ":NickServ!NickServ@services. NOTICE ana :Added \(fingerprint) to ana: it logs in by SASL EXTERNAL")
        guard case .account(let record)? = harness.server.takeStateChanges().last else { return XCTFail("journaled") }
        XCTAssertEqual(record.certificates, [fingerprint])
        harness.send(first, "QUIT")

        let second = tlsClient(harness, id: 51, fingerprint: fingerprint)
        for line in ["CAP REQ sasl", "AUTHENTICATE EXTERNAL", "AUTHENTICATE +"] { harness.send(second, line) }
        XCTAssertEqual(Array(second.take().suffix(2)), [":test.server 900 * * ana :You are now logged in as ana",
                                                        ":test.server 903 * :SASL authentication successful"])
        let stranger = tlsClient(harness, id: 52, fingerprint: String(repeating: "cd", count: 32))
        for line in ["CAP REQ sasl", "AUTHENTICATE EXTERNAL", "AUTHENTICATE +"] { harness.send(stranger, line) }
        XCTAssertEqual(stranger.take().last, ":test.server 904 * :SASL authentication failed")
        let plain = tlsClient(harness, id: 53, fingerprint: nil)
        for line in ["CAP REQ sasl", "AUTHENTICATE EXTERNAL", "AUTHENTICATE " + Base64.encode(Array("ana".utf8))] { harness.send(plain, line) }
        XCTAssertEqual(plain.take().last, ":test.server 904 * :SASL authentication failed")
    }
}

/// Accounts cost nothing to a connection that does not use them: its IRCv3
/// state (one object) is never made. (It was, for every registration: ~200
/// bytes more per idle connection, found with scripts/bench/serve_bench.py idle.)
final class AccountCostTests: XCTestCase {
    func testRegisteringAndChangingNickMakesNoStateWithoutAnAccount() {
        let harness = Harness(persistence: PersistentHistory(msgidPrefix: "p", lastMsgid: 0,
                                                             accounts: [AccountRecord(name: "ana", passwordHash: "x", createdMillis: 1)],
                                                             recent: { _, _ in [] }))
        let bob = harness.ircUser("bob")
        harness.send(bob, "NICK bobby")
        let pia = harness.plainUser(nick: "pia")
        for client in [bob, pia] {
            XCTAssertEqual(harness.server.users[client.id]?.hasIRCv3State, false)
        }
        let tls = FakeClient(id: 99)
        harness.server.accept(99, endpoint: tls, host: "127.0.0.1", secure: true, awaitingHandshake: true, now: harness.now)
        harness.server.secured(99, now: harness.now, certificateFingerprint: nil)
        XCTAssertEqual(harness.server.users[99]?.hasIRCv3State, false)
    }

    /// Registration state (the undecided deadline, PASS, CAP negotiation, the
    /// IRC trial) is one object until registration completes, then dropped:
    /// an idle registered connection does not carry it.
    func testRegistrationStateIsDroppedOnceRegistered() {
        let harness = Harness()
        let waiting = FakeClient(id: 70)
        harness.server.accept(70, endpoint: waiting, host: "127.0.0.1", now: harness.now)
        XCTAssertEqual(harness.server.users[70]?.holdsRegistrationState, true)
        harness.send(waiting, "CAP LS 302")
        harness.send(waiting, "NICK cap")
        harness.send(waiting, "USER cap 0 * :cap")
        XCTAssertEqual(harness.server.users[70]?.holdsRegistrationState, true, "waits for CAP END")
        harness.send(waiting, "CAP END")
        XCTAssertEqual(harness.server.users[70]?.registered, true)
        XCTAssertEqual(harness.server.users[70]?.holdsRegistrationState, false)
        let bob = harness.ircUser("bob")
        let pia = harness.plainUser(nick: "pia")
        harness.send(bob, "AWAY :lunch")
        harness.send(bob, "AWAY")
        harness.send(bob, "CAP LS")
        harness.send(bob, "CAP END")
        for client in [bob, pia] {
            XCTAssertEqual(harness.server.users[client.id]?.holdsRegistrationState, false)
        }
    }
}

@_silgen_name("malloc_usable_size")
private func mallocUsableSize(_ pointer: UnsafeRawPointer) -> Int

/// Memory per connection (BENCHMARKS.md): a User's own block. A field added
/// to `User` must say why it is worth every connection's bytes, and move this
/// bound with a measurement.
final class UserFootprintTests: XCTestCase {
    func testAUserFitsInItsBudget() {
        let harness = Harness()
        let bob = harness.ircUser("bob")
        let user = harness.server.users[bob.id]!
        XCTAssertLessThanOrEqual(mallocUsableSize(Unmanaged.passUnretained(user).toOpaque()), 232,
                                 "a User was 424 bytes before registration state and rare fields moved out, 296 before its times were Ticks, 264 before its flood bucket left burst and rate to the config")
    }
}
