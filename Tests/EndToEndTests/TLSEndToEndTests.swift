import Foundation
import Glibc
import RelayTLS
import XCTest

/// TLS end to end: `relay serve --tls-cert` and `relay connect ircs://`, with
/// certificates made by scripts/tls/make-test-certs.sh and the openssl CLI.
final class TLSEndToEndTests: XCTestCase {
    private func cert(_ name: String) -> String { TestCertificates.path(name) }

    private func serveTLS(_ certificate: String = "server", _ extra: [String] = []) throws -> RelayProcess {
        try RelayProcess.serve(["--tls-cert", cert("\(certificate).pem"), "--tls-key", cert("\(certificate).key")] + extra)
    }

    /// A registered IRC client over TLS, in `room`.
    private func tlsUser(_ server: RelayProcess, nick: String, room: String) throws -> TestClient {
        let client = try TestClient(port: server.tlsPort, tls: TestCertificates.trusting())
        client.sendLine("NICK \(nick)")
        client.sendLine("USER \(nick) 0 * :\(nick)")
        client.sendLine("JOIN \(room)")
        var seen: [String] = []
        XCTAssertNotNil(client.waitFor { seen.append($0); return $0.contains(" 366 \(nick) ") },
                        "\(nick) joined \(room): \(seen) \(server.stderr)")
        return client
    }

    /// The SHA-256 fingerprint of a PEM certificate, as the openssl CLI computes it.
    private func fingerprint(ofFile path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-in", path, "-noout", "-fingerprint", "-sha256"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(text.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    func testConnectVerifiesWithACAFileAndATLSUserSharesARoomWithAPlainOne() throws {
        let server = try serveTLS("server", ["--log-level", "debug"])
        defer { server.stop() }
        XCTAssertTrue(server.stderr.contains("relay: listening on 127.0.0.1:\(server.port)\n"), server.stderr)
        XCTAssertTrue(server.stderr.contains("relay: listening on 127.0.0.1:\(server.tlsPort) (TLS)\n"), server.stderr)
        let plain = try plainUser(server, nick: "pat")  // in #lobby
        let run = try RelayRun.run(["connect", "ircs://localhost:\(server.tlsPort)/#lobby", "--ca-file", cert("ca.pem"),
                                    "--nick", "cron", "--send", "over tls"])
        XCTAssertEqual(run.status, 0, run.stderr + server.stderr)
        XCTAssertNotNil(plain.waitFor { $0.hasSuffix("<cron> over tls") })

        let secure = try tlsUser(server, nick: "tess", room: "#lobby")
        secure.sendLine("PRIVMSG #lobby :hello from tls")
        XCTAssertNotNil(plain.waitFor { $0.hasSuffix("<tess> hello from tls") })
        plain.sendLine("hello from nc")
        XCTAssertNotNil(secure.waitFor { $0.hasPrefix(":pat!") && $0.hasSuffix(" PRIVMSG #lobby :hello from nc") })
        // WHOIS says who is on TLS, and only them.
        secure.sendLine("WHOIS tess")
        XCTAssertNotNil(secure.waitFor { $0.contains(" 671 tess tess :is using a secure connection") })
        secure.sendLine("WHOIS pat")
        var whois: [String] = []
        secure.waitFor { whois.append($0); return $0.contains(" 318 ") }
        XCTAssertFalse(whois.contains { $0.contains(" 671 ") }, "\(whois)")
        XCTAssertTrue(server.stderr.contains("tls=yes"), "the log says which connections are TLS")
    }

    func testAWrongNameFailsWithExitOneAndTheCause() throws {
        let server = try serveTLS("wrong")
        defer { server.stop() }
        let run = try RelayRun.run(["connect", "ircs://localhost:\(server.tlsPort)/#ops", "--ca-file", cert("ca.pem"), "--send", "x"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "relay: tls localhost:\(server.tlsPort): certificate verify failed: hostname mismatch\n")
        XCTAssertLessThan(run.seconds, 5)

        let untrusted = try RelayRun.run(["connect", "ircs://127.0.0.1:\(server.tlsPort)/#ops", "--send", "x"])
        XCTAssertEqual(untrusted.status, 1)
        XCTAssertEqual(untrusted.stderr,
                       "relay: tls 127.0.0.1:\(server.tlsPort): certificate verify failed: unable to get local issuer certificate\n")
    }

    func testIrcsToAPlainPortSaysItIsNotTLS() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let run = try RelayRun.run(["connect", "ircs://127.0.0.1:\(server.port)/#ops", "--send", "x"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "relay: tls 127.0.0.1:\(server.port): wrong version number "
                       + "(the server does not speak TLS on this port; try irc://)\n")
    }

    func testInsecureConnectsAndSaysWhatWouldHaveFailed() throws {
        let server = try serveTLS("wrong")
        defer { server.stop() }
        let room = try tlsUserInsecure(server)
        let run = try RelayRun.run(["connect", "ircs://localhost:\(server.tlsPort)/#ops", "--insecure", "--nick", "cron",
                                    "--send", "unverified"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "relay: tls localhost:\(server.tlsPort): --insecure: the server's certificate is not verified "
                       + "(it would have failed: unable to get local issuer certificate)\n")
        XCTAssertNotNil(room.waitFor { $0.hasSuffix(" PRIVMSG #ops :unverified") })
    }

    private func tlsUserInsecure(_ server: RelayProcess) throws -> TestClient {
        let client = try TestClient(port: server.tlsPort, tls: TLSContext.client(insecure: true))
        client.sendLine("NICK watcher")
        client.sendLine("USER watcher 0 * :watcher")
        client.sendLine("JOIN #ops")
        XCTAssertNotNil(client.waitFor { $0.contains(" 366 watcher ") })
        return client
    }

    func testEightMegabytesThroughTLSToASlowReaderArriveIntactAndInOrder() throws {
        let server = try serveTLS("server", ["--flood-rate", "0", "--sendq", String(32 << 20)])
        defer { server.stop() }
        let reader = try tlsUser(server, nick: "slow", room: "#bulk")
        let writer = try tlsUser(server, nick: "fast", room: "#bulk")
        let body = String(repeating: "x", count: 400)
        let count = (8 << 20) / 420
        let writing = Thread {
            var batch = ""
            for index in 0..<count {
                batch += "PRIVMSG #bulk :\(index) \(body)\r\n"
                if batch.utf8.count > 60_000 { writer.send(batch); batch = "" }
            }
            writer.send(batch)
        }
        writing.start()
        var received = 0
        var inOrder = true
        let deadline = Date().addingTimeInterval(120)
        while received < count && Date() < deadline {
            guard let line = reader.readLine(timeout: 10) else { break }
            guard line.contains(" PRIVMSG #bulk :") else { continue }
            if !line.hasSuffix(":\(received) \(body)") { inOrder = false }
            received += 1
            if received % 2000 == 0 { usleep(50_000) }  // a reader that falls behind
        }
        XCTAssertEqual(received, count, "every line arrived: \(server.stderr.suffix(1500))")
        XCTAssertTrue(inOrder, "in order, none damaged")
    }

    func testAPeerClosingWithoutCloseNotifyIsACleanDisconnect() throws {
        let server = try serveTLS()
        defer { server.stop() }
        let watcher = try tlsUser(server, nick: "watcher", room: "#ops")
        let leaver = try tlsUser(server, nick: "leaver", room: "#ops")
        shutdown(leaver.fd, Int32(SHUT_RDWR))  // the socket goes; no TLS goodbye
        XCTAssertNotNil(watcher.waitFor { $0.hasPrefix(":leaver!") && $0.hasSuffix(" QUIT :Remote host closed the connection") })
        let log = server.waitForStderr { $0.contains("nick=leaver reason=") }
        XCTAssertTrue(log.contains("nick=leaver reason=\"Remote host closed the connection\""), log)
    }

    func testSIGHUPServesANewCertificateToNewcomersWhileConnectedPeopleStay() throws {
        let directory = NSTemporaryDirectory() + "relay-reload-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        try FileManager.default.copyItem(atPath: cert("server.pem"), toPath: certificate)
        try FileManager.default.copyItem(atPath: cert("server.key"), toPath: key)
        let motd = directory + "/motd"
        try "first day\n".write(toFile: motd, atomically: true, encoding: .utf8)
        let server = try RelayProcess.serve(["--tls-cert", certificate, "--tls-key", key, "--motd", motd])
        defer { server.stop() }
        let before = try tlsUser(server, nick: "before", room: "#ops")
        XCTAssertEqual(before.tls?.peerFingerprint, try fingerprint(ofFile: cert("server.pem")))

        try FileManager.default.removeItem(atPath: certificate)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: cert("server2.pem"), toPath: certificate)
        try FileManager.default.copyItem(atPath: cert("server2.key"), toPath: key)
        try "second day\n".write(toFile: motd, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        XCTAssertTrue(server.waitForStderr { $0.contains("reloaded") }.contains("relay: info reloaded"), server.stderr)

        let after = try tlsUser(server, nick: "after", room: "#ops")
        XCTAssertEqual(after.tls?.peerFingerprint, try fingerprint(ofFile: cert("server2.pem")))
        XCTAssertNotEqual(after.tls?.peerFingerprint, before.tls?.peerFingerprint)
        after.sendLine("MOTD")
        XCTAssertNotNil(after.waitFor { $0.contains(" 372 after :") && $0.hasSuffix("second day") }, "the MOTD was read again")
        before.sendLine("PRIVMSG #ops :still here")
        XCTAssertNotNil(after.waitFor { $0.hasPrefix(":before!") && $0.hasSuffix(" PRIVMSG #ops :still here") })
        XCTAssertTrue(server.process.isRunning, "SIGHUP no longer shuts the server down")

        // A broken file on the next reload keeps the running certificate.
        try "not a certificate".write(toFile: certificate, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        XCTAssertTrue(server.waitForStderr { $0.contains("reload-failed") }.contains("action=\"kept the previous files\""), server.stderr)
        let later = try tlsUser(server, nick: "later", room: "#ops")
        XCTAssertEqual(later.tls?.peerFingerprint, try fingerprint(ofFile: cert("server2.pem")))
    }

    func testTLSOnlyHasNoPlainPort() throws {
        let server = try serveTLS("server", ["--tls-only"])
        defer { server.stop() }
        let lines = server.stderr.split(separator: "\n").filter { $0.hasPrefix("relay: listening on ") }
        XCTAssertEqual(lines, ["relay: listening on 127.0.0.1:\(server.tlsPort) (TLS)"])
        _ = try tlsUser(server, nick: "ana", room: "#ops")
    }

    func testAPersonOnOpensslSClientGetsThePlainDialect() throws {
        let server = try serveTLS()
        defer { server.stop() }
        let irc = try tlsUser(server, nick: "ana", room: "#lobby")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-quiet", "-verify_quiet", "-CAfile", cert("ca.pem"), "-connect", "127.0.0.1:\(server.tlsPort)"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        input.fileHandleForWriting.write(Data("/nick sam\nhi from s_client\n".utf8))
        XCTAssertNotNil(irc.waitFor { $0.hasPrefix(":sam!") && $0.hasSuffix(" PRIVMSG #lobby :hi from s_client") })
        irc.sendLine("PRIVMSG #lobby :hello sam")
        let seen = Collected()
        output.fileHandleForReading.readabilityHandler = { seen.append($0.availableData) }
        let deadline = Date().addingTimeInterval(5)
        while !seen.text.contains("<ana> hello sam") && Date() < deadline { usleep(20_000) }
        output.fileHandleForReading.readabilityHandler = nil
        XCTAssertTrue(seen.text.contains("-!- You are now known as sam"), seen.text)
        XCTAssertTrue(seen.text.contains("<ana> hello sam"), seen.text)
    }

    func testAServerThatNeverAnswersTheHandshakeTimesOut() throws {
        let silent = try FakeServer { fd in sleep(5); close(fd) }
        defer { silent.stop() }
        let run = try RelayRun.run(["connect", "ircs://127.0.0.1:\(silent.port)/#ops", "--timeout", "1", "--send", "x"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "relay: tls 127.0.0.1:\(silent.port): no handshake within 1 s\n")
        XCTAssertLessThan(run.seconds, 4)
    }

    func testBadTLSOptionsAreUsageErrors() throws {
        let missing = try RelayRun.run(["serve", "--port", "0", "--tls-port", "0", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "relay: /nonexistent.pem: No such file or directory\n")
        let lonely = try RelayRun.run(["serve", "--port", "0", "--tls-cert", cert("server.pem")])
        XCTAssertEqual(lonely.status, 2)
        XCTAssertTrue(lonely.stderr.contains("--tls-cert and --tls-key go together"), lonely.stderr)
        let plain = try RelayRun.run(["connect", "irc://127.0.0.1:1/#ops", "--ca-file", cert("ca.pem"), "--send", "x"])
        XCTAssertEqual(plain.status, 2)
        XCTAssertEqual(plain.stderr, "relay: --ca-file needs TLS: use ircs:// or --tls\n")
        let external = try RelayRun.run(["connect", "ircs://127.0.0.1:1/#ops", "--sasl", "external", "--send", "x"])
        XCTAssertEqual(external.status, 2)
        XCTAssertEqual(external.stderr, "relay: --sasl external needs TLS and --client-cert\n")
        let noPassword = try RelayRun.run(["connect", "irc://127.0.0.1:1/#ops", "--sasl-user", "ana", "--send", "x"],
                                          environment: ["RELAY_SASL_PASSWORD": ""])
        XCTAssertEqual(noPassword.status, 2)
        XCTAssertEqual(noPassword.stderr, "relay: --sasl-user ana: give the password with --sasl-password-file or RELAY_SASL_PASSWORD\n")
    }

    func testABotRunsOverTLS() throws {
        let server = try serveTLS()
        defer { server.stop() }
        let room = try tlsUser(server, nick: "ana", room: "#ops")
        let bot = try RelayProcess(["connect", "ircs://localhost:\(server.tlsPort)/#ops", "--ca-file", cert("ca.pem"),
                                    "--nick", "pingbot", "--on", "!ping=echo pong", "--rate", "0"])
        defer { bot.stop() }
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":pingbot!") && $0.hasSuffix(" JOIN #ops") })
        room.sendLine("PRIVMSG #ops :!ping")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":pingbot!") && $0.hasSuffix(" PRIVMSG #ops :pong") })
    }

    /// `openssl s_server -Verify 1` wants a client certificate: without one, TLS 1.3
    /// says so on the first read, after the handshake; relay reports a refusal (3).
    func testAServerThatRequiresAClientCertificateRefusesUsWithExitThree() throws {
        let port = freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", cert("server.pem"), "-key", cert("server.key"),
                            "-CAfile", cert("ca.pem"), "-Verify", "1", "-naccept", "2"]
        server.standardInput = Pipe()
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && (try? TestClient(port: port)) == nil { usleep(20_000) }
        let run = try RelayRun.run(["connect", "ircs://localhost:\(port)/#ops", "--ca-file", cert("ca.pem"), "--send", "x", "--timeout", "5"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertEqual(run.stderr, "relay: localhost:\(port): the server refused our TLS certificate: tlsv13 alert certificate required\n")
    }
}
