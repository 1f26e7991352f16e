import Foundation
import Glibc
import XCTest

/// What a newcomer meets on the failure paths: every one says what happened.
final class NewcomerHardeningEndToEndTests: XCTestCase {
    func testAnOptionalSASLLoginThatFailsIsWarnedAbout() throws {
        let server = try FakeServer { fd in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var seen = ""
            func answer(_ text: String) { FakeServer.send(fd, text) }
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                seen += String(decoding: buffer[0..<count], as: UTF8.self)
                if seen.contains("CAP LS") && !seen.contains("#sent-ls") { seen += "#sent-ls"; answer(":srv CAP * LS :sasl=PLAIN\r\n") }
                if seen.contains("CAP REQ") && !seen.contains("#sent-ack") { seen += "#sent-ack"; answer(":srv CAP * ACK :sasl\r\n") }
                if seen.contains("AUTHENTICATE PLAIN") && !seen.contains("#sent-plus") { seen += "#sent-plus"; answer("AUTHENTICATE +\r\n") }
                if seen.range(of: "AUTHENTICATE [A-Za-z0-9+/=]{8,}", options: .regularExpression) != nil && !seen.contains("#sent-904") {
                    seen += "#sent-904"
                    answer(":srv 904 ana :SASL authentication failed\r\n")
                }
                if seen.contains("CAP END") && !seen.contains("#sent-001") {
                    seen += "#sent-001"
                    answer(":srv 001 ana :Welcome\r\n:ana!a@h JOIN #ops\r\n")
                }
                if let range = seen.range(of: "PING :relay-confirm-1"), !seen.contains("#sent-pong") {
                    _ = range
                    seen += "#sent-pong"
                    answer(":srv PONG srv :relay-confirm-1\r\n")
                }
            }
            close(fd)
        }
        defer { server.stop() }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "ana", "--send", "hi",
                                    "--sasl-user", "ana", "--sasl-optional", "--timeout", "5"],
                                   environment: ["RELAY_SASL_PASSWORD": "wrong"], timeout: 20)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("SASL: the server refused the login: SASL authentication failed; going on without logging in (--sasl-optional)"),
                      run.stderr)
    }

    func testSIGHUPToAStayLoggerKeepsItRunning() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let logger = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "logger", "--stay"])
        defer { logger.stop() }
        let ana = try ircUser(port: server.port, nick: "ana", room: "#ops")
        XCTAssertNotNil(ana.waitFor(timeout: 10) { $0.hasPrefix(":logger!") && $0.contains(" JOIN ") })
        logger.signal(SIGHUP)
        XCTAssertTrue(logger.waitForStderr("SIGHUP: read the password files again"), logger.stderr)
        usleep(300_000)
        XCTAssertTrue(logger.process.isRunning, "still logging")
        ana.sendLine("PRIVMSG #ops :after the hangup")
        usleep(500_000)
        logger.signal(SIGTERM)
        XCTAssertEqual(logger.waitForExit(), 0)
        let output = String(decoding: logger.stdout.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(output.contains("#ops <ana> after the hangup"), output)
    }

    func testSIGHUPToACommandLineBridgeKeepsItRelaying() throws {
        let rooms = try TwoRooms()
        defer { rooms.stop() }
        let bridge = try RelayProcess(["bridge"] + rooms.urls + ["--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        XCTAssertTrue(rooms.ana.waitFor("-!- bridge joined #dev", timeout: 10), bridge.stderr)
        XCTAssertTrue(rooms.bob.waitFor("-!- bridge joined #dev", timeout: 10), bridge.stderr)
        bridge.signal(SIGHUP)
        usleep(500_000)
        XCTAssertTrue(bridge.process.isRunning, bridge.stderr)
        rooms.ana.sendLine("still bridged?")
        XCTAssertNotNil(rooms.bob.waitFor { $0.hasSuffix("still bridged?") }, bridge.stderr)
    }

    func testPlainIRCToATLSPortHintsAtIrcs() throws {
        let certificates = TestCertificates.directory
        let server = try RelayProcess.serve(["--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key"])
        defer { server.stop() }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.tlsPort)/#ops", "--send", "x", "--timeout", "5"], timeout: 20)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("(if 127.0.0.1:\(server.tlsPort) is a TLS port, use ircs://)"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
    }

    func testANickLongerThanTheServerTakesIsCutToFit() throws {
        let server = try RelayProcess.serve(["--nick-length", "12"])
        defer { server.stop() }
        let watcher = try ircUser(port: server.port, nick: "watcher", room: "#ops")
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "averyveryverylongnick",
                                    "--send", "made it", "--timeout", "10"], timeout: 20)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("the server refused the nick averyveryverylongnick (too long for it?); trying averyveryverylon"), run.stderr)
        XCTAssertNotNil(watcher.waitFor { $0.hasPrefix(":averyvery!") && $0.hasSuffix("PRIVMSG #ops :made it") })
    }
}
