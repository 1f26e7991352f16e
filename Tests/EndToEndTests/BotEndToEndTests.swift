import Foundation
import Glibc
import XCTest

/// Bots against `relay serve`: the example scripts in scripts/bots, handlers,
/// the coprocess and the announce socket, each bounded in time.
final class BotEndToEndTests: XCTestCase {
    private var server: RelayProcess!
    private var url: String { "irc://127.0.0.1:\(server.port)/#ops" }
    private var temp = ""
    private static let bots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/bots").path

    override func setUpWithError() throws {
        server = try RelayProcess.serve(["--flood-rate", "0"])
        temp = NSTemporaryDirectory() + "relay-bot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        try? FileManager.default.removeItem(atPath: temp)
    }

    /// Starts a bot and waits until it is in #ops (seen by a plain watcher, returned).
    private func startBot(_ extra: [String], nick: String = "bot") throws -> (RelayProcess, TestClient) {
        let room = try plainUser(server, nick: "ana\(Int.random(in: 100...999))")
        room.sendLine("/join #ops")
        room.waitFor { $0.hasPrefix("-!- You joined #ops") }
        let bot = try RelayProcess(["connect", url, "--nick", nick, "--rate", "0"] + extra)
        XCTAssertTrue(room.waitFor("-!- \(nick) joined #ops", timeout: 10), bot.stderr)
        return (bot, room)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = temp + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    // MARK: The coprocess

    func testTheExampleCoprocessBotAnswersInTheRoom() throws {
        let (bot, room) = try startBot(["--exec", Self.bots + "/remind.sh"])
        defer { bot.stop() }
        room.sendLine("!remind 1 tea")
        let me = room.waitFor { $0.hasPrefix("<bot> ") }
        XCTAssertNotNil(me.flatMap { $0.range(of: ": okay, in 1 s") }, "\(me ?? "nothing")")
        XCTAssertNotNil(room.waitFor(timeout: 5) { $0.hasPrefix("<bot> ") && $0.hasSuffix(": reminder: tea") })
    }

    func testJSONModeRoundTripsQuotesBackslashesControlsAndMultibyte() throws {
        let script = try write("echo.py", """
            import json, sys
            for line in sys.stdin:
                event = json.loads(line)
                if event.get("type") == "message":
                    print(json.dumps({"to": event["room"], "text": "got: " + event["text"]}), flush=True)
            """)
        let (bot, _) = try startBot(["--exec", "/usr/bin/python3 -u \(script)", "--json"])
        defer { bot.stop() }
        let irc = try ircUser(port: server.port, nick: "cy", room: "#ops")
        let text = "say \"hi\" \\ back\\slash \u{2}bold\u{2} \u{1F}u\u{1F} tab\there žluť 😀"
        irc.sendLine("PRIVMSG #ops :\(text)")
        let reply = irc.waitFor { $0.hasPrefix(":bot!") }
        XCTAssertEqual(reply, ":bot!bot@127.0.0.1 PRIVMSG #ops :got: \(text)", bot.stderr)
    }

    func testACoprocessPrintingFasterThanThePacerLosesNothing() throws {
        let script = try write("flood.sh", "#!/bin/sh\nread -r line\nseq 1 400 | sed 's/^/n /'\nsleep 30\n")
        let room = try plainUser(server, nick: "ana\(Int.random(in: 100...999))")
        room.sendLine("/join #ops")
        room.waitFor { $0.hasPrefix("-!- You joined #ops") }
        let bot = try RelayProcess(["connect", url, "--nick", "bot", "--rate", "150", "--exec", script])
        defer { bot.stop() }
        XCTAssertTrue(room.waitFor("-!- bot joined #ops", timeout: 10), bot.stderr)
        room.sendLine("go")
        for index in 1...400 {
            guard room.waitFor(timeout: 10, { $0.hasPrefix("<bot> n ") }) == "<bot> n \(index)" else {
                return XCTFail("line \(index) missing or out of order: \(bot.stderr)")
            }
        }
        XCTAssertFalse(bot.stderr.contains("dropped"), bot.stderr)
    }

    func testTheSameCoprocessAnswersAfterTheServerRestarts() throws {
        let script = try write("pid.sh", "#!/bin/sh\nwhile IFS= read -r line; do case $line in *'!pid'*) echo \"pid $$\" ;; esac; done\n")
        let port = server.port
        var (bot, room) = try startBot(["--exec", script])
        defer { bot.stop() }
        room.sendLine("!pid")
        let before = room.waitFor { $0.hasPrefix("<bot> pid ") }
        XCTAssertNotNil(before)
        server.stop()
        server = try RelayProcess(["serve", "--port", String(port), "--flood-rate", "0"])
        try server.waitForStartup()
        room = try plainUser(server, nick: "back")
        room.sendLine("/join #ops")
        XCTAssertTrue(room.waitFor("-!- bot joined #ops", timeout: 15), bot.stderr)
        room.sendLine("!pid")
        XCTAssertEqual(room.waitFor { $0.hasPrefix("<bot> pid ") }, before, "one coprocess across reconnects")
        _ = bot
    }

    func testTheCoprocessExitStatusBecomesRelays() throws {
        let script = try write("once.sh", "#!/bin/sh\nread -r line\necho bye\nexit 7\n")
        let (bot, room) = try startBot(["--exec", script])
        defer { bot.stop() }
        room.sendLine("anything")
        room.waitFor("<bot> bye")
        XCTAssertEqual(bot.waitForExit(timeout: 5), 7, bot.stderr)
        XCTAssertTrue(bot.stderr.contains("exited with status 7"), bot.stderr)
    }

    func testSIGTERMClosesTheScriptsStdinAndEndsItWithin2Seconds() throws {
        let stubborn = try write("stubborn.sh", "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 0.1; done\n")
        let (bot, _) = try startBot(["--exec", stubborn])
        let start = Date()
        bot.signal(SIGTERM)
        XCTAssertEqual(bot.waitForExit(timeout: 8), 0, bot.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "stdin closed, 2 s, SIGTERM (ignored), then SIGKILL")
    }

    // MARK: Handlers

    func testExampleHandlersAnswer() throws {
        let (bot, room) = try startBot(["--on", "!uptime=uptime", "--on", "!roll=\(Self.bots)/roll.sh",
                                        "--on", "!weather=\(Self.bots)/weather.sh", "--cooldown", "0"])
        defer { bot.stop() }
        room.sendLine("!uptime")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix("<bot> ") && $0.contains("load average") })
        room.sendLine("!roll 3d6")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix("<bot> ") && $0.contains(" rolls 3d6: ") && $0.contains("(total ") })
        room.sendLine("!weather prague")
        room.waitFor("<bot> Prague: sunny, 21 °C")
        room.sendLine("!help")
        room.waitFor("<bot> Commands: !uptime, !roll, !weather")
    }

    func testAHandlerPastItsTimeoutIsKilledWithItsProcessGroup() throws {
        let pidFile = temp + "/pid"
        let slow = try write("slow.sh", "#!/bin/sh\necho $$ > \(pidFile)\nsleep 30 &\nsleep 30\n")
        let (bot, room) = try startBot(["--on", "!slow=\(slow)", "--handler-timeout", "1"])
        defer { bot.stop() }
        room.sendLine("!slow")
        room.waitFor("<bot> !slow: timed out after 1 s", timeout: 5)
        let pgid = try XCTUnwrap(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        let deadline = Date().addingTimeInterval(3)
        while kill(-pgid, 0) == 0 && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(kill(-pgid, 0), -1, "the whole group, the backgrounded sleep too, is gone")
        XCTAssertEqual(errno, ESRCH)
    }

    func testABackgroundedGrandchildHoldingThePipeDoesNotDelayTheReply() throws {
        let (bot, room) = try startBot(["--on", "!bg=echo started; echo oops >&2; sleep 30 &"])
        defer { bot.stop() }
        let start = Date()
        room.sendLine("!bg")
        room.waitFor("<bot> started")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(bot.waitForStderr("relay: !bg: oops"), "stderr is relay's, prefixed: \(bot.stderr)")
    }

    func testFiftyLinesGiveFivePlusANote() throws {
        let (bot, room) = try startBot(["--on", "!many=seq 1 50"])
        defer { bot.stop() }
        room.sendLine("!many")
        for index in 1...5 { room.waitFor("<bot> \(index)") }
        room.waitFor("<bot> … (45 more lines)")
        XCTAssertEqual(room.drain(quiet: 0.5).filter { $0.hasPrefix("<bot>") }, [])
    }

    func testMessageTextNeverReachesAShell() throws {
        let marker = temp + "/pwned"
        let (bot, room) = try startBot(["--on", "!echo=cat", "--on", "!args=echo \"$RELAY_ARGS\""])
        defer { bot.stop() }
        room.sendLine("!echo $(touch \(marker)) `touch \(marker)`")
        room.waitFor("<bot> !echo $(touch \(marker)) `touch \(marker)`")
        usleep(2_100_000)  // the cooldown
        room.sendLine("!args $(touch \(marker)); touch \(marker)")
        room.waitFor("<bot> $(touch \(marker)); touch \(marker)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testAllowBlocksEveryoneElse() throws {
        let (bot, room) = try startBot(["--on", "!hi=echo hi", "--allow", "boss"])
        defer { bot.stop() }
        room.sendLine("!hi")
        XCTAssertEqual(room.drain(quiet: 1).filter { $0.hasPrefix("<bot>") }, [], "not allowed")
        let boss = try plainUser(server, nick: "boss")
        boss.sendLine("/join #ops")
        boss.sendLine("!hi")
        room.waitFor("<bot> hi")
    }

    func testEightTriggersWithTwoSlotsAreAllAnsweredNeverMoreThanTwoAlive() throws {
        let (bot, room) = try startBot(["--on", "!work=sleep 0.4; echo done $RELAY_ARGS", "--max-handlers", "2", "--cooldown", "0"])
        defer { bot.stop() }
        for index in 1...8 { room.sendLine("!work \(index)") }
        var answered = Set<String>()
        var most = 0
        let deadline = Date().addingTimeInterval(15)
        while answered.count < 8 && Date() < deadline {
            most = max(most, children(of: bot.pid).count)
            if let line = room.readLine(timeout: 0.02), line.hasPrefix("<bot> done ") { answered.insert(line) }
        }
        XCTAssertEqual(answered.count, 8, "\(answered)")
        XCTAssertEqual(most, 2, "two at a time, never more")
    }

    private func children(of pid: Int32) -> [String] {
        ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").map(String.init)
    }

    // MARK: The announce socket

    func testAHundredLinesFromTenWritersAllArriveEachConfirmed() throws {
        let socket = temp + "/announce.sock"
        let (bot, room) = try startBot(["--stay", "--listen", socket])
        defer { bot.stop() }
        var mode = stat()
        XCTAssertEqual(stat(socket, &mode), 0)
        XCTAssertEqual(mode.st_mode & 0o777, 0o600)
        let group = DispatchGroup()
        let results = Collected()
        for writer in 0..<10 {
            group.enter()
            DispatchQueue.global().async {
                let input = (0..<10).map { "w\(writer) line \($0)" }.joined(separator: "\n") + "\n"
                let run = try? RelayRun.run(["connect", "unix:\(socket)", "--join", "#ops"], stdin: input, timeout: 30)
                results.append(Data("\(run?.status ?? -1) \(run?.stderr ?? "")\n".utf8))
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 40), .success)
        XCTAssertEqual(results.text.split(separator: "\n").sorted(), Array(repeating: "0 ", count: 10))
        var seen = Set<String>()
        while seen.count < 100, let line = room.readLine(timeout: 5) {
            if line.hasPrefix("<bot> ") { seen.insert(line) }
        }
        XCTAssertEqual(seen.count, 100)
    }

    func testNcCanPostAndAnUnreachableServerGivesAnErrorWithinTheTimeout() throws {
        let socket = temp + "/announce.sock"
        let (bot, room) = try startBot(["--listen", socket, "--timeout", "2"])
        defer { bot.stop() }
        let nc = Process()
        nc.executableURL = URL(fileURLWithPath: "/bin/sh")
        nc.arguments = ["-c", "printf '#ops via nc\\n' | nc -U -q 2 \(socket)"]
        let output = Pipe()
        nc.standardOutput = output
        if FileManager.default.isExecutableFile(atPath: "/bin/nc") {
            try nc.run()
            room.waitFor("<bot> via nc")
            nc.waitUntilExit()
            XCTAssertEqual(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "ok\n")
        }
        server.stop()
        let run = try RelayRun.run(["connect", "unix:\(socket)", "--join", "#ops", "--send", "lost?"], timeout: 15)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("relay: the server was not reachable within 2 s")
                      || run.stderr.hasPrefix("relay: the connection to the server was lost"), run.stderr)
        XCTAssertLessThan(run.seconds, 5)
        let refused = try RelayRun.run(["connect", "unix:\(temp)/nothing.sock", "--join", "#ops", "--send", "x"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("relay: connect \(temp)/nothing.sock: "), refused.stderr)
    }

    func testTheExampleCronLinePostsThroughTheSocketAndAStaleSocketIsReplaced() throws {
        let socket = temp + "/ops.sock"
        let first = try RelayProcess(["connect", url, "--nick", "first", "--listen", socket])
        XCTAssertTrue(waitUntil { FileManager.default.fileExists(atPath: socket) })
        first.signal(SIGKILL)  // dies without removing its socket
        XCTAssertNotNil(first.waitForExit())
        XCTAssertTrue(FileManager.default.fileExists(atPath: socket), "a stale socket is left behind")
        let (bot, room) = try startBot(["--stay", "--listen", socket])
        defer { bot.stop() }
        let cron = Process()
        cron.executableURL = URL(fileURLWithPath: Self.bots + "/announce.sh")
        cron.arguments = ["#ops", "backup", "done"]
        cron.environment = ["RELAY": RelayProcess.binary.path, "RELAY_SOCKET": socket, "PATH": "/usr/bin:/bin"]
        try cron.run()
        room.waitFor("<bot> backup done")
        cron.waitUntilExit()
        XCTAssertEqual(cron.terminationStatus, 0)
        let second = try RelayRun.run(["connect", url, "--nick", "second", "--listen", socket], timeout: 10)
        XCTAssertEqual(second.status, 1, "a live socket is not taken over")
        XCTAssertTrue(second.stderr.contains("another process is listening there"), second.stderr)
    }

    private func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(20_000) }
        return condition()
    }

    func testTheSocketPathIsNotTakenFromSomethingElse() throws {
        let file = try write("taken", "data")
        let run = try RelayRun.run(["connect", url, "--listen", file], timeout: 10)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("exists and is not a socket"), run.stderr)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "data")
    }
}
