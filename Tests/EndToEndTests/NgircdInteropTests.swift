import Foundation
import Glibc
import XCTest

/// `relay connect` against a real IRC server nobody here wrote: ngircd.
final class NgircdInteropTests: XCTestCase {
    private var ngircd: Ngircd!
    private var port: Int { ngircd.port }

    override func setUpWithError() throws {
        ngircd = try Ngircd()
    }

    override func tearDown() {
        ngircd = nil
    }

    private func watcher() throws -> TestClient {
        try ngircd.watcher()
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

    // MARK: Refusals, restarts and URLs as a real server sends them

    func testAWrongPasswordExitsThreeAndTheURLPasswordIsUsed() throws {
        let guarded = try Ngircd(global: ["Password = right"])
        let target = "irc://127.0.0.1:\(guarded.port)/#interop"
        let wrong = try RelayRun.run(["connect", target, "--nick", "cron", "--send", "x"], environment: ["RELAY_PASSWORD": "wrong"])
        XCTAssertEqual(wrong.status, 3, "ngircd says only ERROR :Access denied: Bad password?: \(wrong.stderr)")
        XCTAssertEqual(wrong.stderr.split(separator: "\n").count, 1, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("refused the password"), wrong.stderr)
        let right = try RelayRun.run(["connect", "irc://cron:right@127.0.0.1:\(guarded.port)/#interop", "--send", "x"],
                                     environment: ["RELAY_PASSWORD": ""])
        XCTAssertEqual(right.status, 0, right.stderr)
    }

    func testAStayLoggerReconnectsAfterTheServerRestartsCleanly() throws {
        let logger = try RelayProcess(["connect", "irc://127.0.0.1:\(port)/#interop", "--nick", "logger", "--stay"])
        defer { logger.stop() }
        var room = try watcher()
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":logger!") && $0.contains(" JOIN ") })
        ngircd.stop()  // SIGTERM: ngircd tells its clients it is going down
        try ngircd.start()
        room = try watcher()
        XCTAssertTrue(ngircd.waitUntil("logger", isIn: "#interop", as: room, timeout: 20), logger.stderr)
        XCTAssertNil(logger.waitForExit(timeout: 0.1), "a restart is a reason to reconnect, not to exit: \(logger.stderr)")
    }

    func testAKeyedRoomIsJoinedWithTheKeyFromTheURL() throws {
        let room = try ngircd.watcher(room: "#keyed")
        room.sendLine("MODE #keyed +k sesame")
        room.waitFor { $0.contains("MODE #keyed +k") }
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(port)/%23keyed?sesame", "--nick", "cron", "--send", "in"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix("PRIVMSG #keyed :in") })
        let viaJoin = try RelayRun.run(["connect", "127.0.0.1:\(port)", "--join", "#keyed sesame", "--nick", "cron2", "--send", "too"])
        XCTAssertEqual(viaJoin.status, 0, viaJoin.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron2!") && $0.hasSuffix("PRIVMSG #keyed :too") })
        let wrongKey = try RelayRun.run(["connect", "irc://127.0.0.1:\(port)/#keyed?nope", "--nick", "cron3", "--send", "x"])
        XCTAssertEqual(wrongKey.status, 1, "a wrong key is a refusal of the send, named: \(wrongKey.stderr)")
        XCTAssertTrue(wrongKey.stderr.contains("475"), wrongKey.stderr)
    }

    func testAHandlerBotAnswersThere() throws {
        let room = try watcher()
        let bot = try RelayProcess(["connect", "irc://127.0.0.1:\(port)/#interop", "--nick", "bot", "--cooldown", "0", "--on", "!ping=echo pong from $RELAY_SERVER"])
        defer { bot.stop() }
        XCTAssertNotNil(room.waitFor(timeout: 10) { $0.hasPrefix(":bot!") && $0.contains(" JOIN ") }, bot.stderr)
        room.sendLine("PRIVMSG #interop :!ping")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":bot!") && $0.hasSuffix(" PRIVMSG #interop :pong from 127.0.0.1:\(port)") }, bot.stderr)
        room.sendLine("PRIVMSG bot :!ping")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":bot!") && $0.hasSuffix(" PRIVMSG watcher :pong from 127.0.0.1:\(port)") },
                        "a private trigger is answered privately")
    }
}
