import Foundation
import Glibc
import XCTest

/// What a newcomer tried and found broken (issue 7), each against the real binary,
/// bounded in time: a stuck process is a failed test.
final class NewcomerConnectTests: XCTestCase {
    private var server: RelayProcess!
    private var url: String { "irc://127.0.0.1:\(server.port)/#ops" }

    override func setUpWithError() throws {
        server = try RelayProcess.serve(["--flood-rate", "0"])
    }

    override func tearDown() {
        server?.stop()
    }

    private func watcher(room: String = "#ops") throws -> TestClient {
        let client = try plainUser(server, nick: "watch\(Int.random(in: 100...999))")
        client.sendLine("/join \(room)")
        client.waitFor { $0.hasPrefix("-!- You joined \(room)") }
        return client
    }

    func testANameThatDoesNotResolveEndsPromptlyWithOneLine() throws {
        let run = try RelayRun.run(["connect", "irc://nosuchhost.invalid/#lobby", "--send", "hi", "--timeout", "3"], timeout: 10)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("relay: resolve nosuchhost.invalid: "), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertLessThan(run.seconds, 4.5)
    }

    func testSIGTERMEndsAConnectThatIsStillWaiting() throws {
        let silent = try RelayProcess.serve()
        defer { silent.stop() }
        silent.signal(SIGSTOP)
        defer { silent.signal(SIGCONT) }
        for signo in [SIGTERM, SIGINT] {
            let sender = try RelayProcess(["connect", "irc://127.0.0.1:\(silent.port)/#ops", "--send", "x", "--timeout", "60"])
            defer { sender.stop() }
            usleep(300_000)
            sender.signal(signo)
            XCTAssertEqual(sender.waitForExit(timeout: 3), 1, "signal \(signo): \(sender.stderr)")
            XCTAssertTrue(sender.stderr.contains("interrupted"), sender.stderr)
        }
    }

    func testAnUnansweredConnectionSaysWhatFailed() throws {
        let silent = try RelayProcess.serve()
        defer { silent.stop() }
        silent.signal(SIGSTOP)
        defer { silent.signal(SIGCONT) }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(silent.port)/#ops", "--send", "x", "--timeout", "2"], timeout: 10)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "relay: 127.0.0.1:\(silent.port): no answer within 2 s\n")
    }

    func testAOneShotSendPrintsNothingOnStdoutUnlessAsked() throws {
        let room = try watcher()
        room.sendLine("/topic deploys at noon")
        room.waitFor { $0.contains("changed the topic") }
        let quiet = try RelayRun.run(["connect", url, "--nick", "cron", "--send", "done"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stdout, "", "cron mails whatever a job prints")
        XCTAssertEqual(quiet.stderr, "")
        let piped = try RelayRun.run(["connect", url, "--nick", "cron"], stdin: "also done\n")
        XCTAssertEqual(piped.stdout, "")
        let verbose = try RelayRun.run(["connect", url, "--nick", "cron", "--send", "done", "--verbose"])
        XCTAssertEqual(verbose.stdout, "#ops -!- topic: deploys at noon\n")
        let json = try RelayRun.run(["connect", url, "--nick", "cron", "--send", "done", "--json"])
        XCTAssertTrue(json.stdout.contains("\"type\":\"topic\""), json.stdout)
    }

    func testAStayLoggerReconnectsWhenTheServerShutsDownCleanly() throws {
        let port = server.port
        let logger = try RelayProcess(["connect", url, "--nick", "logger", "--stay"])
        defer { logger.stop() }
        var room = try watcher()
        room.waitFor("-!- logger joined #ops")
        server.signal(SIGTERM)  // "ERROR :Closing Link: ... (Server shutting down)"
        XCTAssertEqual(server.waitForExit(), 0)
        server = try RelayProcess(["serve", "--port", String(port), "--flood-rate", "0"])
        try server.waitForStartup()
        room = try watcher()
        room.waitFor("-!- logger joined #ops", timeout: 15)
        XCTAssertNil(logger.waitForExit(timeout: 0.1), "still logging: \(logger.stderr)")
        XCTAssertTrue(logger.waitForStderr("reconnecting in"), logger.stderr)
    }

    func testURLsAreReadStrictly() throws {
        let op = try TestClient(port: server.port)
        op.sendLine("NICK op")
        op.sendLine("USER op 0 * :op")
        op.sendLine("JOIN #vault")
        op.sendLine("MODE #vault +k sesame")
        op.waitFor { $0.hasSuffix("MODE #vault +k sesame") }
        let keyed = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/vault?sesame", "--nick", "cron", "--send", "in"])
        XCTAssertEqual(keyed.status, 0, keyed.stderr)
        XCTAssertNotNil(op.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix("PRIVMSG #vault :in") })
        let joinKey = try RelayRun.run(["connect", "127.0.0.1:\(server.port)", "--join", "#vault sesame", "--nick", "cron", "--send", "j"])
        XCTAssertEqual(joinKey.status, 0, joinKey.stderr)
        let flagKey = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#vault", "--key", "sesame", "--nick", "cron", "--send", "k"])
        XCTAssertEqual(flagKey.status, 0, flagKey.stderr)
        let noKey = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#vault", "--nick", "cron", "--send", "x"])
        XCTAssertEqual(noKey.status, 1, "a keyed room without its key is a failure, never a quiet success")
        XCTAssertTrue(noKey.stderr.contains("475"), noKey.stderr)

        let lobby = try watcher(room: "#lobby")
        let encoded = try RelayRun.run(["connect", "irc://cron@127.0.0.1:\(server.port)/%23lobby", "--send", "decoded"])
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        lobby.waitFor("<cron> decoded")

        let bad = try RelayRun.run(["connect", "irc://user:s3cret@host:99999/#ops", "--send", "x"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertFalse(bad.stderr.contains("s3cret"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("user:****@host"), bad.stderr)
    }

    func testTheURLPasswordIsTheServerPassword() throws {
        let guarded = try RelayProcess.serve(environment: ["RELAY_PASSWORD": "s3cret"])
        defer { guarded.stop() }
        let run = try RelayRun.run(["connect", "irc://cron:s3cret@127.0.0.1:\(guarded.port)/#ops", "--send", "x", "--trace"],
                                   environment: ["RELAY_PASSWORD": ""])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(run.stderr.contains("s3cret"), "never in the trace either")
    }

    func testRatesTooSmallToScheduleAreUsageErrors() throws {
        let run = try RelayRun.run(["connect", url, "--rate", "0.0001", "--send", "x"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--rate must be 0 (off) or 0.001 to"), run.stderr)
        XCTAssertEqual(try RelayRun.run(["connect", url, "--timeout", "0", "--send", "x"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["bridge", url, url, "--rate", "-1"]).status, 2)
    }
}

final class NewcomerServeTests: XCTestCase {
    func testPlainRoughEdgesOverTheWire() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        ana.sendLine("/nick bad nick!")
        XCTAssertNotNil(ana.waitFor { $0.hasPrefix("-!- \"bad nick!\" is not a valid nick") })
        ana.sendLine("tab\there")
        bob.waitFor("<ana> tab here")
        ana.send("one\rtwo\r")  // a lone CR ends a line
        bob.waitFor("<ana> one")
        bob.waitFor("<ana> two")
        ana.sendLine("/me waves")
        ana.waitFor("* ana waves")
        bob.waitFor("* ana waves")
        ana.sendLine("/join")
        ana.waitFor("-!- Usage: /join ROOM [KEY]")
        ana.sendLine(String(repeating: "x", count: 100_000))
        ana.waitFor("-!- Line too long (100000 bytes; the limit is 510), not sent")  // the real size
        ana.sendLine("still here")
        bob.waitFor("<ana> still here")
    }

    func testATinyTopicLengthServesTopics() throws {
        let server = try RelayProcess.serve(["--topic-length", "2"])
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        ana.sendLine("/join #t")
        ana.sendLine("/topic hello")
        ana.waitFor("-!- ana changed the topic of #t to: he")
        let irc = try TestClient(port: server.port)
        irc.sendLine("NICK cy")
        irc.sendLine("USER cy 0 * :cy")
        irc.sendLine("JOIN #t")
        XCTAssertNotNil(irc.waitFor { $0.contains(" 332 cy #t :he") })
    }

    func testNumericOptionsOutOfRangeAreUsageErrorsNamingTheRange() throws {
        for (flag, value, range) in [("--topic-length", "0", "1 to 400"), ("--flood-rate", "0.0001", "0 (off) or 0.001 to"),
                                     ("--history", "-1", "0 to 1000"), ("--ping-interval", "0", "1 to 86400"),
                                     ("--sendq", "10", "4096 to")] {
            let run = try RelayRun.run(["serve", "--port", "0", "\(flag)=\(value)"], timeout: 10)
            XCTAssertEqual(run.status, 2, flag)
            XCTAssertTrue(run.stderr.contains("\(flag) must be \(range)"), "\(flag): \(run.stderr)")
        }
    }

    func testAPersonWhoseFirstLineLooksLikeIRCIsStillGreeted() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let bob = try plainUser(server, nick: "bob")
        let salt = try TestClient(port: server.port)
        salt.sendLine("pass the salt")
        XCTAssertNotNil(salt.waitFor(timeout: 1) { $0.hasPrefix("-!- Welcome to relay") }, "two words: a person, at once")
        bob.waitFor("<guest2> pass the salt")
        let nick = try TestClient(port: server.port)
        nick.sendLine("nick carol")
        XCTAssertNotNil(nick.waitFor(timeout: 4) { $0.hasPrefix("-!- Welcome to relay") }, "found out within 2 s")
        bob.waitFor("<guest3> nick carol")
    }
}
