import Foundation
import Glibc
import XCTest

/// `relay serve` in front of strangers: every limit, tried from outside.
final class ServeHardeningEndToEndTests: XCTestCase {
    /// 8 MiB of empty lines from one registered client: cut off with Excess
    /// Flood once 64 KiB of them wait, the server's memory hardly moves.
    func testAFloodOfEmptyLinesIsCutOffAndCostsNoMemory() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let flooder = try ircUser(port: server.port, nick: "flooder", room: "#a")
        let before = server.residentKilobytes()
        let chunk = [UInt8](repeating: 10, count: 64 * 1024)
        for _ in 0..<128 where !flooder.closedByPeer { flooder.sendBytes(chunk) }
        XCTAssertNotNil(flooder.waitFor(timeout: 10) { $0 == "ERROR :Closing Link: 127.0.0.1 (Excess Flood)" })
        let grown = server.residentKilobytes() - before
        XCTAssertLessThan(grown, 16 * 1024, "RSS grew by \(grown) KiB")
        let bystander = try ircUser(port: server.port, nick: "bystander", room: "#a")
        _ = bystander
    }

    /// Fifty unregistered connections, each sending 65,000 "a" lines: each is
    /// cut off, and together they add little memory.
    func testManyUnregisteredFloodersAreEachCutOff() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let before = server.residentKilobytes()
        let payload = [UInt8](String(repeating: "a\n", count: 65_000).utf8)
        var clients: [TestClient] = []
        for _ in 0..<50 {
            let client = try TestClient(port: server.port)
            client.sendBytes(payload)
            clients.append(client)
        }
        // Their farewells may die in a reset (they never read): the log says what happened.
        let log = server.waitForStderr(timeout: 10) { $0.components(separatedBy: "reason=\"Excess Flood\"").count > 50 }
        XCTAssertEqual(log.components(separatedBy: "reason=\"Excess Flood\"").count - 1, 50)
        _ = clients
        let grown = server.residentKilobytes() - before
        XCTAssertLessThan(grown, 32 * 1024, "RSS grew by \(grown) KiB")
    }

    /// With flood control off, a client's burst is handed over 100 lines a turn:
    /// all of it arrives, in order, over TLS and in plain, and others are served meanwhile.
    func testABurstIsDeliveredWholeAFewLinesATurnOverPlainAndTLS() throws {
        let certificates = TestCertificates.directory
        let server = try RelayProcess.serve(["--flood-rate", "0", "--tls-cert", certificates + "/server.pem",
                                             "--tls-key", certificates + "/server.key"])
        defer { server.stop() }
        let listener = try ircUser(port: server.port, nick: "listener", room: "#a")
        for (index, secure) in [false, true].enumerated() {
            let sender = secure ? try TestClient(port: server.tlsPort, tls: try TestCertificates.trusting())
                                : try TestClient(port: server.port)
            sender.sendLine("NICK sender\(index)")
            sender.sendLine("USER s 0 * :s")
            sender.sendLine("JOIN #a")
            XCTAssertNotNil(sender.waitFor { $0.contains(" 366 ") })
            sender.send((1...3000).map { "PRIVMSG #a :\($0)\r\n" }.joined())
            var got: [String] = []
            while got.count < 3000, let line = listener.readLine(timeout: 5) {
                if line.contains(" PRIVMSG #a :") { got.append(String(line.split(separator: ":").last!)) }
            }
            XCTAssertEqual(got, (1...3000).map(String.init), secure ? "TLS" : "plain")
        }
    }

    /// What a sender had queued behind flood control is dropped when it hangs up.
    func testQueuedLinesDoNotReachTheRoomAfterTheSenderLeaves() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let listener = try ircUser(port: server.port, nick: "listener", room: "#a")
        let sender = try ircUser(port: server.port, nick: "sender", room: "#a")
        _ = listener.drain()
        sender.send((1...1500).map { "PRIVMSG #a :line \($0)\r\n" }.joined())
        usleep(300_000)
        sender.reset()
        XCTAssertNotNil(listener.waitFor { $0.contains(" QUIT ") })
        let later = listener.drain(quiet: 2)
        XCTAssertTrue(later.filter { $0.contains("PRIVMSG") }.isEmpty, "\(later.prefix(3))")
    }

    /// A TCP connection to the TLS port that never handshakes is never a plain
    /// guest, and is closed after --register-timeout.
    func testASilentConnectionToTheTLSPortIsNotAGuestAndTimesOut() throws {
        let certificates = try TestCertificates.directory
        let server = try RelayProcess.serve(["--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key",
                                             "--register-timeout", "2", "--tls-only"])
        defer { server.stop() }
        let silent = try TestClient(port: server.tlsPort)
        XCTAssertTrue(silent.waitForClose(timeout: 6), "closed after the register timeout")
        XCTAssertTrue(server.waitForStderr("reason=\"Registration timed out\""), server.stderr)
        XCTAssertFalse(server.stderr.contains("registered"), server.stderr)
    }

    /// A plain user asked for the password must give it within --register-timeout.
    func testAPlainUserWhoNeverTypesThePasswordIsClosed() throws {
        let file = NSTemporaryDirectory() + "relay-pass-\(getpid())"
        try "sesame\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        defer { unlink(file) }
        let server = try RelayProcess.serve(["--password-file", file, "--register-timeout", "2"])
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        XCTAssertTrue(client.waitFor("-!- This server needs a password: type it and press Enter."))
        XCTAssertTrue(client.waitFor("-!- Disconnected: no password within 2 s", timeout: 6))
        XCTAssertTrue(client.waitForClose())
    }

    /// Loopback is not counted by default; an explicit --max-per-ip counts it.
    func testThePerAddressLimitSparesLoopbackUnlessSetExplicitly() throws {
        let relaxed = try RelayProcess.serve()
        defer { relaxed.stop() }
        let many = try (0..<15).map { _ in try TestClient(port: relaxed.port) }
        for client in many { XCTAssertNotNil(client.waitFor { $0.hasPrefix("-!- Welcome") }) }

        let strict = try RelayProcess.serve(["--max-per-ip", "2"])
        defer { strict.stop() }
        let first = try TestClient(port: strict.port), second = try TestClient(port: strict.port)
        let third = try TestClient(port: strict.port)
        XCTAssertTrue(third.waitFor("ERROR :Closing Link: 127.0.0.1 (Too many connections from 127.0.0.1 (at most 2))"))
        _ = (first, second)
    }

    /// Under a low open-file limit, --max-clients is clamped to what it allows, and said.
    func testMaxClientsIsClampedToTheDescriptorLimit() throws {
        let server = try RelayProcess(["serve", "--port", "0", "--max-clients", "5000"], limitDescriptors: 64)
        defer { server.stop() }
        try server.waitForStartup()
        XCTAssertTrue(server.stderr.contains("relay: --max-clients 5000 is more than the open-file limit allows (64); serving at most 32 clients"),
                      server.stderr)
    }

    /// stderr on a pipe nobody reads: the server goes on serving, drops log
    /// lines, and says how many once the reader catches up.
    func testALogNobodyReadsNeverStallsTheServer() throws {
        let fifo = NSTemporaryDirectory() + "relay-log-\(getpid())"
        unlink(fifo)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)  // held open, not read: the pipe fills
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        let port = freePort()
        let server = try RelayProcess(["serve", "--port", String(port)], wrapper: ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\(fifo)"])
        defer { server.stop() }
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? TestClient(port: port)) != nil
            if !ready { usleep(20_000) }
        }
        XCTAssertTrue(ready)
        for _ in 0..<3000 { _ = try? TestClient(port: port) }  // a connected and a disconnected line each
        let ana = try ircUser(port: port, nick: "ana", room: "#still-serving")
        _ = ana
        var log = ""
        let deadline = Date().addingTimeInterval(10)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline && !log.contains("log-dropped") {
            let count = read(reader, &buffer, buffer.count)
            if count > 0 { log += String(decoding: buffer[0..<count], as: UTF8.self) } else { usleep(20_000) }
        }
        XCTAssertTrue(log.contains("relay: warn log-dropped lines="), String(log.suffix(300)))
    }

    /// `--log-format json`: every line on stderr is JSON, the first one too.
    func testEveryLineOfAJSONLogIsJSON() throws {
        let server = try RelayProcess.serve(["--log-format", "json"])
        let client = try ircUser(port: server.port, nick: "ana", room: "#a")
        client.sendLine("OPER \u{1B}]0;pwned\u{7} guess")
        XCTAssertTrue(server.waitForStderr("oper-refused"), server.stderr)
        client.sendLine("QUIT")
        XCTAssertTrue(client.waitForClose())
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)
        let lines = server.stderr.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 2)
        for line in lines {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(line.utf8)), String(line))
        }
        XCTAssertTrue(lines[0].contains("\"event\":\"listening\""), String(lines[0]))
    }

    /// TLS 1.2 offers forward-secret AEAD suites only (TLS 1.3's are all such).
    func testTLS12RefusesSuitesWithoutForwardSecrecyOrAEAD() throws {
        let certificates = TestCertificates.directory
        let server = try RelayProcess.serve(["--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key"])
        defer { server.stop() }
        func handshake(_ cipher: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = ["s_client", "-tls1_2", "-cipher", cipher, "-connect", "127.0.0.1:\(server.tlsPort)"]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        XCTAssertEqual(try handshake("ECDHE-ECDSA-AES128-GCM-SHA256"), 0)
        XCTAssertNotEqual(try handshake("ECDHE-ECDSA-AES128-SHA"), 0, "CBC is refused")
        XCTAssertNotEqual(try handshake("ECDHE-ECDSA-AES256-SHA384"), 0, "CBC is refused")
    }

    /// A secret file others can read is said once at start.
    func testAWorldReadablePasswordFileIsWarnedAbout() throws {
        let file = NSTemporaryDirectory() + "relay-open-pass-\(getpid())"
        try "sesame\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        defer { unlink(file) }
        let server = try RelayProcess.serve(["--password-file", file])
        defer { server.stop() }
        XCTAssertTrue(server.stderr.contains("relay: \(file) holds a secret and is readable by others (mode 644); chmod 600 \(file)"),
                      server.stderr)
    }
}
