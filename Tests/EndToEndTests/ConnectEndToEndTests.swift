import Foundation
import Glibc
import XCTest

/// `relay connect` in scriptable mode, against `relay serve` started by the test.
final class ConnectEndToEndTests: XCTestCase {
    private var server: RelayProcess!
    private var url: String { "irc://127.0.0.1:\(server.port)/#ops" }

    override func setUpWithError() throws {
        server = try RelayProcess.serve(["--flood-rate", "0"])
    }

    override func tearDown() {
        server?.stop()
    }

    private func watcher(room: String = "#ops") throws -> TestClient {
        let client = try TestClient(port: server.port)
        client.sendLine("/join \(room)")
        client.waitFor("-!- You joined \(room) (just you)")
        return client
    }

    func testSendDeliversAndExitsZero() throws {
        let room = try watcher()
        let run = try RelayRun.run(["connect", url, "--nick", "cron", "--send", "backup done"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        room.waitFor("<cron> backup done")
    }

    func testNoticeAndJoinFlags() throws {
        let ops = try watcher()
        let dev = try watcher(room: "#dev")
        let run = try RelayRun.run(["connect", "127.0.0.1:\(server.port)", "--join", "ops", "--join", "#dev",
                                    "--nick", "cron", "--notice", "--send", "deploy finished"])
        XCTAssertEqual(run.status, 0, run.stderr)
        ops.waitFor("-cron- deploy finished")
        dev.waitFor("-cron- deploy finished")
    }

    func testAnUnreachableServerExitsOneWithinTheTimeout() throws {
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(freePort())/#ops", "--send", "x", "--timeout", "5"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("relay: connect 127.0.0.1:"), run.stderr)
        XCTAssertTrue(run.stderr.contains("Connection refused"), run.stderr)
        XCTAssertLessThan(run.seconds, 5)
    }

    func testASilentServerTimesOutWithExitOne() throws {
        // A listener that accepts and never answers.
        let silent = try RelayProcess(["serve", "--port", "0", "--name", "x"])
        defer { silent.stop() }
        try silent.waitForStartup()
        silent.signal(SIGSTOP)
        defer { silent.signal(SIGCONT) }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(silent.port)/#ops", "--send", "x", "--timeout", "2"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("within 2 s"), run.stderr)
    }

    func testAWrongPasswordExitsThree() throws {
        let guarded = try RelayProcess.serve(environment: ["RELAY_PASSWORD": "right"])
        defer { guarded.stop() }
        let target = "irc://127.0.0.1:\(guarded.port)/#ops"
        let wrong = try RelayRun.run(["connect", target, "--send", "x"], environment: ["RELAY_PASSWORD": "wrong"])
        XCTAssertEqual(wrong.status, 3, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("refused the password"), wrong.stderr)
        let path = NSTemporaryDirectory() + "relay-password-\(getpid())"
        try "right\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let right = try RelayRun.run(["connect", target, "--send", "x", "--password-file", path], environment: ["RELAY_PASSWORD": ""])
        XCTAssertEqual(right.status, 0, right.stderr)
    }

    func testPipingFiveHundredLinesDeliversAllInOrder() throws {
        let room = try watcher()
        let input = (1...500).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let run = try RelayRun.run(["connect", url, "--nick", "piper", "--rate", "0"], stdin: input)
        XCTAssertEqual(run.status, 0, run.stderr)
        for index in 1...500 {
            guard room.waitFor(timeout: 5, { $0.hasPrefix("<piper>") }) == "<piper> line \(index)" else {
                return XCTFail("line \(index) missing or out of order")
            }
        }
    }

    func testALongMultibyteMessageArrivesSplitWithNoBrokenCharacters() throws {
        let room = try watcher()
        let text = String(repeating: "žluťoučký kůň 😀 ", count: 80)  // about 2,000 bytes
        XCTAssertGreaterThan(text.utf8.count, 1900)
        let run = try RelayRun.run(["connect", url, "--nick", "poet", "--rate", "0", "--send", text])
        XCTAssertEqual(run.status, 0, run.stderr)
        var pieces: [String] = []
        var line = room.waitFor { $0.hasPrefix("<poet> ") }
        while let current = line, current.hasPrefix("<poet> ") {
            pieces.append(String(current.dropFirst(7)))
            line = room.readLine(timeout: 1)
        }
        XCTAssertGreaterThan(pieces.count, 3)
        XCTAssertFalse(pieces.joined().contains("\u{FFFD}"))
        XCTAssertTrue(pieces.joined(separator: " ").trimmingCharacters(in: .whitespaces) == text.trimmingCharacters(in: .whitespaces))
    }

    func testJSONOutputIsValidJSONPerLine() throws {
        let room = try watcher()
        let path = NSTemporaryDirectory() + "relay-json-\(getpid())"
        unlink(path)
        let logger = Process()
        logger.executableURL = RelayProcess.binary
        logger.arguments = ["connect", url, "--nick", "logger", "--json", "--stay"]
        logger.standardInput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: path, contents: nil)
        logger.standardOutput = FileHandle(forWritingAtPath: path)
        try logger.run()
        defer { if logger.isRunning { kill(logger.processIdentifier, SIGKILL) } ; unlink(path) }
        room.waitFor("-!- logger joined #ops")
        room.sendLine("plain \"quoted\" text")
        room.sendLine("/me dances")
        room.sendLine("/quit")
        // --stay: still logging after stdin (here /dev/null) ended.
        let deadline = Date().addingTimeInterval(10)
        var lines: [String] = []
        while Date() < deadline {
            lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= 3 { break }
            usleep(50_000)
        }
        XCTAssertTrue(logger.isRunning, "--stay keeps running after stdin ends")
        kill(logger.processIdentifier, SIGTERM)
        logger.waitUntilExit()
        XCTAssertEqual(logger.terminationStatus, 0)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(objects.count, 3, "\(lines)")
        XCTAssertEqual(objects[0]["type"] as? String, "message")
        XCTAssertEqual(objects[0]["room"] as? String, "#ops")
        XCTAssertEqual(objects[0]["text"] as? String, "plain \"quoted\" text")
        XCTAssertEqual(objects[1]["type"] as? String, "action")
        XCTAssertEqual(objects[2]["type"] as? String, "quit")
        XCTAssertNotNil(objects[0]["time"] as? String)
        // relay serve offers server-time and message-tags: the server's own time, to the millisecond, and the msgid.
        let time = objects[0]["time"] as? String ?? ""
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), time)
        XCTAssertNotNil(objects[0]["msgid"] as? String)
        XCTAssertNotEqual(objects[0]["msgid"] as? String, objects[1]["msgid"] as? String)
    }

    func testStayReconnectsAndGoesOnLogging() throws {
        let port = server.port
        let logger = Process()
        logger.executableURL = RelayProcess.binary
        logger.arguments = ["connect", url, "--nick", "logger", "--stay"]
        logger.standardInput = FileHandle.nullDevice
        let output = Pipe(), errors = Pipe()
        logger.standardOutput = output
        logger.standardError = errors
        try logger.run()
        defer { if logger.isRunning { kill(logger.processIdentifier, SIGKILL) } }
        var room = try watcher()
        room.waitFor("-!- logger joined #ops")
        server.stop()
        server = try RelayProcess(["serve", "--port", String(port), "--flood-rate", "0"])
        try server.waitForStartup()
        room = try watcher()
        room.waitFor("-!- logger joined #ops", timeout: 15)
        room.sendLine("after the restart")
        usleep(300_000)
        kill(logger.processIdentifier, SIGTERM)
        logger.waitUntilExit()
        XCTAssertEqual(logger.terminationStatus, 0)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("#ops <guest1> after the restart\n"), text)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(said.contains("reconnecting in"), said)
    }

    func testTextOutputNamesTheRoomAndTheNick() throws {
        let room = try watcher()
        let reader = Process()
        reader.executableURL = RelayProcess.binary
        reader.arguments = ["connect", url, "--nick", "reader", "--stay"]
        reader.standardInput = FileHandle.nullDevice
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        room.waitFor("-!- reader joined #ops")
        room.sendLine("hello reader")
        usleep(300_000)
        kill(reader.processIdentifier, SIGTERM)
        reader.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text, "#ops <guest1> hello reader\n")
    }

    func testANickCollisionFallsBackToAnUnderscore() throws {
        let room = try watcher()
        let holder = try TestClient(port: server.port)
        holder.sendLine("/nick cron")
        holder.waitFor("-!- You are now known as cron")
        let run = try RelayRun.run(["connect", url, "--nick", "cron", "--send", "hello"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("nick cron is taken; trying cron_"), run.stderr)
        room.waitFor("<cron_> hello")
    }

    func testASendTheServerRefusesExitsOneNamingTheNumeric() throws {
        let op = try TestClient(port: server.port)
        op.sendLine("NICK op")
        op.sendLine("USER op 0 * :op")
        op.sendLine("JOIN #quiet")
        op.sendLine("MODE #quiet +m")
        op.waitFor { $0.hasSuffix("MODE #quiet +m") }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#quiet", "--nick", "loud", "--send", "hi"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("#quiet: 404 Cannot send to channel (moderated)"), run.stderr)
    }

    func testNoJoinSendsFromOutsideOrFallsBackToJoinSendPart() throws {
        let room = try watcher()
        let run = try RelayRun.run(["connect", url, "--nick", "drive", "--no-join", "--send", "by"])
        XCTAssertEqual(run.status, 0, run.stderr)
        room.waitFor("-!- drive joined #ops")
        room.waitFor("<drive> by")
        room.waitFor("-!- drive left #ops")
    }

    func testWorksFromCronWithAnEmptyEnvironment() throws {
        let room = try watcher()
        let run = try RelayRun.run(["connect", url, "--send", "from cron"], environment: [:], inherit: false)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasSuffix("> from cron") })
    }

    func testTraceShowsTheLinesWithThePasswordMasked() throws {
        let run = try RelayRun.run(["connect", url, "--nick", "tracer", "--send", "x", "--trace"],
                                   environment: ["RELAY_PASSWORD": "hunter2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains(">> PASS ****"), run.stderr)
        XCTAssertTrue(run.stderr.contains(">> @label=r1 PRIVMSG #ops :x"), "labeled (labeled-response): \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("<< :"), run.stderr)
        XCTAssertFalse(run.stderr.contains("hunter2"))
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try RelayRun.run(["connect", "http://x/#y", "--send", "x"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["connect", "127.0.0.1:\(server.port)", "--send", "x"]).status, 2, "no room")
        XCTAssertEqual(try RelayRun.run(["connect", url, "--nick", "1bad", "--send", "x"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["connect"]).status, 2)
    }
}
