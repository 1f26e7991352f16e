import Foundation
import Glibc
import XCTest

/// `relay connect` against a real IRC server nobody here wrote: ngircd.
final class NgircdInteropTests: XCTestCase {
    private var ngircd: Process?
    private var directory = ""
    private var port = 0

    override func setUpWithError() throws {
        let binary = "/usr/sbin/ngircd"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("needs ngircd (.ci/run installs it)")
        }
        directory = NSTemporaryDirectory() + "relay-ngircd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = freePort()
        let config = """
            [Global]
            \tName = irc.relay.test
            \tInfo = relay interop test
            \tListen = 127.0.0.1
            \tPorts = \(port)
            \tMotdPhrase = relay interop
            [Limits]
            \tMaxConnectionsIP = 0
            [Options]
            \tPAM = no
            \tIdent = no
            \tDNS = no
            """
        try config.write(toFile: directory + "/ngircd.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--nodaemon", "--config", directory + "/ngircd.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        ngircd = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? TestClient(port: port)) != nil { return }
            usleep(50_000)
        }
        XCTFail("ngircd did not start listening on \(port)")
    }

    override func tearDown() {
        if let ngircd, ngircd.isRunning {
            ngircd.terminate()
            ngircd.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func watcher() throws -> TestClient {
        let client = try TestClient(port: port)
        client.sendLine("NICK watcher")
        client.sendLine("USER watcher 0 * :watcher")
        client.waitFor { $0.contains(" 376 ") || $0.contains(" 422 ") }
        client.sendLine("JOIN #interop")
        client.waitFor { $0.contains(" 366 ") }
        return client
    }

    func testSendIsDeliveredAndConfirmed() throws {
        let room = try watcher()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(port)/#interop", "--nick", "cron", "--send", "backup done"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix(" PRIVMSG #interop :backup done") })
    }

    func testPipedLinesAreDeliveredInOrder() throws {
        let room = try watcher()
        let input = (1...20).map { "piped \($0)" }.joined(separator: "\n") + "\n"
        // ngircd enforces its own flood limits; relay's default pacing keeps within them.
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(port)/#interop", "--nick", "piper", "--rate", "5"], stdin: input)
        XCTAssertEqual(run.status, 0, run.stderr)
        for index in 1...20 {
            let line = room.waitFor { $0.hasPrefix(":piper!") && $0.contains(" PRIVMSG ") }
            XCTAssertEqual(line.map { String($0.split(separator: " ", maxSplits: 1)[1]) }, "PRIVMSG #interop :piped \(index)")
        }
    }

    func testARefusedSendExitsOneNamingTheNumeric() throws {
        let room = try watcher()
        room.sendLine("MODE #interop +m")
        room.waitFor { $0.contains("MODE #interop +m") }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(port)/#interop", "--nick", "loud", "--send", "hi"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("#interop: 404"), run.stderr)
    }
}
