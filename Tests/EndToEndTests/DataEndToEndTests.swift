import Foundation
import Glibc
import RelayTLS
import XCTest

/// `relay serve --data DIR`: rooms' history survives a restart, a crash
/// loses no more than what was not yet written, and the data can be checked,
/// exported and imported.
final class DataEndToEndTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "relay-data-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: directory + "-imported")
        try? FileManager.default.removeItem(atPath: directory + ".jsonl")
    }

    private func serve(_ data: String? = nil, _ extra: [String] = []) throws -> RelayProcess {
        try RelayProcess.serve(["--data", data ?? directory, "--flood-rate", "0"] + extra)
    }

    /// What a newcomer reads on arriving in #lobby: the "Recent messages" block.
    private func recentLines(_ server: RelayProcess) throws -> [String] {
        let reader = try TestClient(port: server.port)
        reader.sendLine("/nick reader\(Int.random(in: 100...999))")
        var lines: [String] = []
        var inside = false
        while let line = reader.readLine(timeout: 2) {
            if line.hasPrefix("-!- Recent messages in #lobby") { inside = true; continue }
            if inside && (line.hasPrefix("<") || line.hasPrefix("* ")) { lines.append(line) } else if inside { break }
        }
        return lines
    }

    private func chathistory(_ server: RelayProcess, room: String = "#dev") throws -> [String] {
        let client = try TestClient(port: server.port)
        client.sendLine("CAP REQ :batch server-time message-tags draft/chathistory")
        client.sendLine("NICK v3\(Int.random(in: 100...999))")
        client.sendLine("USER v3 0 * :v3")
        client.sendLine("CAP END")
        client.sendLine("JOIN \(room)")
        XCTAssertNotNil(client.waitFor { $0.contains(" 366 ") })
        client.sendLine("CHATHISTORY LATEST \(room) * 10")
        var lines: [String] = []
        while let line = client.readLine(timeout: 2), !(line.contains("BATCH -")) {
            if line.contains(" PRIVMSG ") { lines.append(line) }
        }
        return lines
    }

    func testHistorySurvivesARestartForPlainAndIRCv3Users() throws {
        var server = try serve()
        let ana = try plainUser(server, nick: "ana")
        ana.sendLine("before the restart")
        ana.sendLine("/me waves")
        ana.sendLine("/join #dev")
        ana.waitFor { $0.hasPrefix("-!- You joined #dev") }
        ana.sendLine("dev talk")
        let before = try chathistory(server)
        XCTAssertEqual(before.count, 1)
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)

        server = try serve()
        defer { server.stop() }
        XCTAssertEqual(try recentLines(server), ["<ana> before the restart", "* ana waves"])
        let after = try chathistory(server)
        XCTAssertEqual(after, before, "the same line, with its msgid and time")
        XCTAssertTrue(after.first?.contains("msgid=") ?? false, "\(after)")
        // New lines go on after the old ones, with new msgids.
        let bob = try plainUser(server, nick: "bob")
        _ = bob.drain()
        bob.sendLine("/search BEFORE restart")
        XCTAssertEqual(bob.readLine(), "-!- Lines in #lobby with before restart:")
        XCTAssertTrue(bob.readLine()?.hasSuffix("] <ana> before the restart") ?? false)
        bob.sendLine("/join #dev")
        bob.waitFor { $0.hasPrefix("-!- You joined #dev") }
        bob.sendLine("/history 5")
        XCTAssertNotNil(bob.waitFor { $0 == "-!- The last 1 in #dev:" })
        XCTAssertTrue(bob.readLine()?.hasSuffix("] <ana> dev talk") ?? false)
        bob.sendLine("/join #lobby")
        bob.sendLine("after the restart")
        XCTAssertEqual(try recentLines(server), ["<ana> before the restart", "* ana waves", "<bob> after the restart"])
        let file = directory + ".jsonl"
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)
        let export = try RelayRun.run(["serve", "--data", directory, "--export", file])
        XCTAssertEqual(export.status, 0, export.stderr)
        let ids = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            .compactMap { line in line.range(of: #""msgid":"\d+""#, options: .regularExpression).map { String(line[$0]) } }
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(Set(ids).count, 4, "no msgid repeats across runs: \(ids)")
    }

    /// SIGKILL in the middle of a burst: what was written before is all there,
    /// and what the crash cut off is the end of the burst, never a hole.
    func testACrashMidBurstLosesOnlyItsTail() throws {
        let server = try serve()
        let ana = try ircUser(port: server.port, nick: "ana", room: "#lobby")
        for index in 0..<300 { ana.sendLine("PRIVMSG #lobby :line \(index)") }
        ana.sendLine("PING written")
        XCTAssertNotNil(ana.waitFor(timeout: 10) { $0.contains("PONG") && $0.contains("written") })
        usleep(500_000)  // the writer's commit of those lines
        var burst = ""
        for index in 300..<1000 { burst += "PRIVMSG #lobby :line \(index)\r\n" }
        ana.send(burst)
        usleep(20_000)
        server.signal(SIGKILL)
        _ = server.waitForExit()

        let file = directory + ".jsonl"
        let export = try RelayRun.run(["serve", "--data", directory, "--export", file])
        XCTAssertEqual(export.status, 0, export.stderr)
        let kept = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            .compactMap { line in
                line.range(of: #""text":"line \d+""#, options: .regularExpression).map { Int(line[$0].dropFirst(13).dropLast()) ?? -1 }
            }
        XCTAssertGreaterThanOrEqual(kept.count, 300, "everything confirmed and written before the burst")
        XCTAssertEqual(kept, Array(0..<kept.count), "a prefix of what was said, in order, no hole")
        let check = try RelayRun.run(["serve", "--data", directory, "--check"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    func testCheckExportAndImport() throws {
        let server = try serve()
        let ana = try plainUser(server, nick: "ana")
        ana.sendLine("keep me")
        ana.sendLine("/me and me")
        usleep(300_000)
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)

        let check = try RelayRun.run(["serve", "--data", directory, "--check"])
        XCTAssertEqual(check.status, 0)
        XCTAssertTrue(check.stdout.contains("relay.db: ok (schema version "), check.stdout)
        let file = directory + ".jsonl"
        XCTAssertEqual(try RelayRun.run(["serve", "--data", directory, "--export", file]).stdout, "exported 2 history lines to \(file)\n")
        let imported = directory + "-imported"
        let run = try RelayRun.run(["serve", "--data", imported, "--import", file])
        XCTAssertEqual(run.stdout, "imported 2 history lines into \(imported)/relay.db\n", run.stderr)
        let again = try RelayRun.run(["serve", "--data", imported, "--import", file])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("has history already"), again.stderr)
        let restored = try serve(imported)
        defer { restored.stop() }
        XCTAssertEqual(try recentLines(restored), ["<ana> keep me", "* ana and me"])

        // A damaged file is found and said.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory + "/relay.db"))
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xAB, count: 4096))
        try handle.close()
        let damaged = try RelayRun.run(["serve", "--data", directory, "--check"])
        XCTAssertEqual(damaged.status, 1, damaged.stdout + damaged.stderr)
        XCTAssertFalse(damaged.stderr.isEmpty)
    }

    /// An account made on the wire survives a restart; `relay connect` logs in
    /// to it with the SASL it already has; a wrong password is exit 3.
    func testAccountsSurviveARestartAndRelayConnectLogsInWithSASL() throws {
        var server = try serve()
        let maker = try ircUser(port: server.port, nick: "ana", room: "#lobby")
        maker.sendLine("REGISTER * * longenough1")
        XCTAssertNotNil(maker.waitFor(timeout: 10) { $0.contains("REGISTER SUCCESS ana") })
        XCTAssertNotNil(maker.waitFor { $0.contains(" 900 ana ") })
        let pia = try plainUser(server, nick: "pia")
        pia.sendLine("/register piapassword")
        XCTAssertTrue(pia.waitFor("-!- You are logged in as pia", timeout: 10))
        usleep(300_000)
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)

        server = try serve()
        defer { server.stop() }
        let watcher = try plainUser(server, nick: "watcher")
        let passwordFile = directory + "/sasl.pass"
        try "longenough1".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#lobby", "--nick", "ana", "--sasl-user", "ana",
                                    "--sasl-password-file", passwordFile, "--send", "logged in", "--trace"], timeout: 30)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains(" 903 "), run.stderr)
        XCTAssertFalse(run.stderr.contains("longenough1"), "the password never shows")
        XCTAssertTrue(watcher.waitFor("<ana> logged in"))

        try "wrongpassword".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let refused = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#lobby", "--nick", "ana2", "--sasl-user", "ana",
                                        "--sasl-password-file", passwordFile, "--send", "x"], timeout: 30)
        XCTAssertEqual(refused.status, 3, refused.stderr)

        let back = try plainUser(server, nick: "pia")
        back.sendLine("/login piapassword")
        XCTAssertTrue(back.waitFor("-!- You are logged in as pia", timeout: 10))

        // The accounts are in the export (hashes only), and come back with --import.
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)
        let file = directory + ".jsonl"
        XCTAssertEqual(try RelayRun.run(["serve", "--data", directory, "--export", file]).status, 0)
        let exported = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(exported.contains(#""type":"account","name":"ana","password_hash":"pbkdf2-sha256$100000$"#), exported)
        XCTAssertFalse(exported.contains("longenough1") || exported.contains("piapassword"))
        var info = stat()
        stat(file, &info)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let imported = directory + "-imported"
        XCTAssertEqual(try RelayRun.run(["serve", "--data", imported, "--import", file]).status, 0)
        let restored = try serve(imported)
        defer { restored.stop() }
        let again = try plainUser(restored, nick: "pia")
        again.sendLine("/login piapassword")
        XCTAssertTrue(again.waitFor("-!- You are logged in as pia", timeout: 10))
    }

    /// A bot logs in with the SASL it already has: its replies carry its account.
    func testABotLogsInWithSASL() throws {
        let server = try serve()
        defer { server.stop() }
        let maker = try ircUser(port: server.port, nick: "opsbot", room: "#lobby")
        maker.sendLine("REGISTER * * botpassword")
        XCTAssertNotNil(maker.waitFor(timeout: 10) { $0.contains("REGISTER SUCCESS opsbot") })
        maker.sendLine("QUIT")
        XCTAssertTrue(maker.waitForClose())
        let passwordFile = directory + "/bot.pass"
        try "botpassword".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let watcher = try TestClient(port: server.port)
        watcher.sendLine("CAP REQ :account-tag")
        watcher.sendLine("NICK watcher")
        watcher.sendLine("USER watcher 0 * :w")
        watcher.sendLine("CAP END")
        watcher.sendLine("JOIN #ops")
        XCTAssertNotNil(watcher.waitFor { $0.contains(" 366 watcher ") })
        let bot = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "opsbot", "--sasl-user", "opsbot",
                                    "--sasl-password-file", passwordFile, "--on", "!ping=echo pong", "--rate", "0"])
        defer { bot.stop() }
        XCTAssertNotNil(watcher.waitFor(timeout: 15) { $0.contains("opsbot") && $0.contains("JOIN") })
        watcher.sendLine("PRIVMSG #ops :!ping")
        let reply = watcher.waitFor(timeout: 10) { $0.contains("PRIVMSG #ops :pong") }
        XCTAssertTrue(reply?.hasPrefix("@account=opsbot ") ?? false, "\(reply ?? "no reply"): \(bot.stderr)")
    }

    /// SASL EXTERNAL: a client certificate added with NickServ CERT ADD logs
    /// `relay connect --sasl external` in, over TLS.
    func testAClientCertificateLogsInWithSASLExternal() throws {
        let server = try serve(nil, ["--tls-cert", TestCertificates.path("server.pem"), "--tls-key", TestCertificates.path("server.key")])
        defer { server.stop() }
        let withCertificate = try TLSContext.client(caFile: TestCertificates.path("ca.pem"), certificate: TestCertificates.path("client.pem"),
                                                    key: TestCertificates.path("client.key"))
        let ana = try TestClient(port: server.tlsPort, tls: withCertificate)
        ana.sendLine("NICK ana")
        ana.sendLine("USER ana 0 * :ana")
        XCTAssertNotNil(ana.waitFor { $0.contains(" 001 ana ") })
        ana.sendLine("REGISTER * * opensesame")
        XCTAssertNotNil(ana.waitFor(timeout: 10) { $0.contains(" 900 ana ") })
        ana.sendLine("PRIVMSG NickServ :CERT ADD")
        XCTAssertNotNil(ana.waitFor { $0.contains("it logs in by SASL EXTERNAL") })
        ana.sendLine("QUIT")
        let watcher = try plainUser(server, nick: "watcher")

        let run = try RelayRun.run(["connect", "ircs://127.0.0.1:\(server.tlsPort)/#lobby", "--nick", "ana", "--ca-file", TestCertificates.path("ca.pem"),
                                    "--client-cert", TestCertificates.path("client.pem"), "--client-key", TestCertificates.path("client.key"),
                                    "--sasl", "external", "--send", "by certificate", "--trace"], timeout: 30)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains(" 903 "), run.stderr)
        XCTAssertTrue(watcher.waitFor("<ana> by certificate"))
        let refused = try RelayRun.run(["connect", "ircs://127.0.0.1:\(server.tlsPort)/#lobby", "--nick", "eve", "--ca-file", TestCertificates.path("ca.pem"),
                                        "--client-cert", TestCertificates.path("self.pem"), "--client-key", TestCertificates.path("self.key"),
                                        "--sasl", "external", "--send", "x"], timeout: 30)
        XCTAssertEqual(refused.status, 3, refused.stderr)
    }

    /// ChanServ: a registered room's topic, key and bans come back after a restart.
    func testARegisteredRoomKeepsItsTopicKeyAndBansAcrossARestart() throws {
        var server = try serve()
        let ana = try ircUser(port: server.port, nick: "ana", room: "#ops")
        ana.sendLine("REGISTER * * opensesame")
        XCTAssertNotNil(ana.waitFor(timeout: 10) { $0.contains(" 900 ana ") })
        ana.sendLine("PRIVMSG ChanServ :REGISTER #ops")
        XCTAssertNotNil(ana.waitFor { $0.hasSuffix("NOTICE ana :#ops is registered to ana") })
        ana.sendLine("TOPIC #ops :deploys only")
        ana.sendLine("MODE #ops +kb sekrit mallory!*@*")
        XCTAssertNotNil(ana.waitFor { $0.contains(" MODE #ops +kb sekrit mallory!*@*") })
        usleep(300_000)
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)

        server = try serve()
        defer { server.stop() }
        let bob = try plainUser(server, nick: "bob")
        bob.sendLine("/join #ops")
        XCTAssertNotNil(bob.waitFor { $0.contains("#ops") && $0.contains("key") }, "a key is needed")
        bob.sendLine("/join #ops sekrit")
        XCTAssertNotNil(bob.waitFor { $0.hasPrefix("-!- You joined #ops") })
        XCTAssertTrue(bob.waitFor("-!- Topic: deploys only"))
        let mallory = try plainUser(server, nick: "mallory")
        mallory.sendLine("/join #ops sekrit")
        XCTAssertNotNil(mallory.waitFor { $0.contains("banned") }, "the ban came back too")
    }

    func testUsageErrors() throws {
        let run = try RelayRun.run(["serve", "--check"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--check, --export and --import need --data DIR"), run.stderr)
        let file = NSTemporaryDirectory() + "relay-not-a-dir-\(getpid())"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let notDirectory = try RelayRun.run(["serve", "--data", file, "--port", "0"], timeout: 10)
        XCTAssertEqual(notDirectory.status, 2)
        XCTAssertTrue(notDirectory.stderr.contains("not a directory"), notDirectory.stderr)
    }
}
