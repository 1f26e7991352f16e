import Foundation
import Glibc
import XCTest

/// Bots in a hostile room: secrets stay out of scripts, scripts stay bounded,
/// and what a script says on the way out is never lost.
final class BotHardeningEndToEndTests: XCTestCase {
    private var server: RelayProcess!
    private var url: String { "irc://127.0.0.1:\(server.port)/#ops" }

    override func setUpWithError() throws {
        server = try RelayProcess.serve(["--flood-rate", "0"])
    }

    override func tearDown() {
        server?.stop()
    }

    private func startBot(_ extra: [String], environment: [String: String] = [:]) throws -> (RelayProcess, TestClient) {
        let room = try plainUser(server, nick: "ana")
        room.sendLine("/join #ops")
        room.waitFor { $0.hasPrefix("-!- You joined #ops") }
        let bot = try RelayProcess(["connect", url, "--nick", "bot", "--rate", "0", "--cooldown", "0"] + extra,
                                   environment: environment)
        XCTAssertTrue(room.waitFor("-!- bot joined #ops", timeout: 10), bot.stderr)
        return (bot, room)
    }

    func testHandlersAndTheCoprocessNeverSeeRelaysSecrets() throws {
        let secrets = ["RELAY_PASSWORD": "server-pw", "RELAY_SASL_PASSWORD": "sasl-pw", "RELAY_OPER_PASSWORD": "oper-pw"]
        let (bot, room) = try startBot(["--on", "!env=env | grep -c PASSWORD || true",
                                        "--exec", "env | grep PASSWORD | sed 's/^/#ops leaked /'; cat >/dev/null"],
                                       environment: secrets.filter { $0.key != "RELAY_PASSWORD" })
        defer { bot.stop() }
        room.sendLine("!env")
        XCTAssertTrue(room.waitFor("<bot> 0"), "no PASSWORD variable reaches a handler")
        let rest = room.drain(quiet: 0.5)
        XCTAssertFalse(rest.contains { $0.contains("leaked") }, "\(rest)")
    }

    func testAHandlersBackgroundJobDiesWithIt() throws {
        let pidFile = NSTemporaryDirectory() + "relay-orphan-\(getpid())"
        defer { unlink(pidFile) }
        let (bot, room) = try startBot(["--on", "!bg=sleep 300 & echo $! > \(pidFile); echo started"])
        defer { bot.stop() }
        room.sendLine("!bg")
        XCTAssertTrue(room.waitFor("<bot> started"))
        let pid = try XCTUnwrap(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var alive = true
        for _ in 0..<50 where alive {
            usleep(100_000)
            // Gone, or a zombie waiting for init: either way no longer running.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            alive = !stat.isEmpty && !stat.contains(") Z ")
        }
        XCTAssertFalse(alive, "the background job was killed with the handler's group")
        if alive { kill(pid, SIGKILL) }
    }

    func testAHandlersLastWordsOnStderrAreNeverLost() throws {
        let (bot, room) = try startBot(["--on", "!oops=echo oops >&2; exit 7"])
        defer { bot.stop() }
        for round in 1...10 {
            room.sendLine("!oops")
            XCTAssertTrue(room.waitFor("<bot> !oops failed (exit 7)"), "round \(round)")
        }
        let said = bot.waitForStderr(timeout: 5) { $0.components(separatedBy: "relay: !oops: oops").count > 10 }
        XCTAssertEqual(said.components(separatedBy: "relay: !oops: oops").count - 1, 10, said)
    }

    func testAHandlerKilledAfterPrintingIsSaidToBe() throws {
        let (bot, room) = try startBot(["--on", "!die=echo partial; kill -9 $$"])
        defer { bot.stop() }
        room.sendLine("!die")
        XCTAssertTrue(room.waitFor("<bot> partial"))
        XCTAssertTrue(room.waitFor("<bot> !die was killed by signal 9"))
    }

    func testAScriptThatIgnoresItsInputsEndIsToldAndEnded() throws {
        let (bot, _) = try startBot(["--exec", "trap '' TERM; exec 0<&-; sleep 100"])
        defer { bot.stop() }
        bot.signal(SIGTERM)
        XCTAssertEqual(bot.waitForExit(timeout: 6), 0, "SIGKILL follows the ignored SIGTERM")
        XCTAssertTrue(bot.stderr.contains("relay: exec: still running 2.0 seconds after its input closed; sending SIGTERM"), bot.stderr)
    }

    func testACTCPFloodDoesNotDelayTheBotsAnswers() throws {
        let (bot, room) = try startBot(["--on", "!ping=echo pong", "--rate", "2"])
        defer { bot.stop() }
        let flooder = try ircUser(port: server.port, nick: "flooder", room: "#ops")
        flooder.send(String(repeating: "PRIVMSG bot :\u{1}VERSION\u{1}\r\n", count: 300))
        usleep(500_000)
        room.sendLine("!ping")
        XCTAssertTrue(room.waitFor("<bot> pong", timeout: 5), "answered within seconds, not after 150 CTCP replies")
        let replies = flooder.drain(quiet: 1).filter { $0.contains("VERSION") }
        XCTAssertLessThanOrEqual(replies.count, 3)
    }
}
