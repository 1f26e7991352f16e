import Foundation
import Glibc
import XCTest

/// Deliveries that tell the truth: a paced run is sent whole or says how much
/// was not; the announce socket answers "error" only for lines really refused or lost.
final class DeliveryEndToEndTests: XCTestCase {
    /// 30 piped lines at 5 a second need 5 s; --timeout 3 bounds the server's answer, not the pacing.
    func testAPipedRunLongerThanItsTimeoutIsSentWhole() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let watcher = try ircUser(port: server.port, nick: "watcher", room: "#pipe")
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#pipe", "--nick", "piper", "--rate", "5",
                                    "--timeout", "3"], stdin: (1...30).map(String.init).joined(separator: "\n") + "\n", timeout: 30)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertGreaterThan(run.seconds, 4, "paced, not cut short")
        var got: [String] = []
        while let line = watcher.readLine(timeout: 2), got.count < 30 {
            if line.contains(" PRIVMSG #pipe :") { got.append(String(line.split(separator: ":").last!)) }
        }
        XCTAssertEqual(got, (1...30).map(String.init))
    }

    /// The server goes away mid-run: the run says exactly how many lines it never sent.
    func testARunCutShortSaysHowManyLinesWereNotSent() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        let port = server.port
        let run = try RelayProcess(["connect", "irc://127.0.0.1:\(port)/#pipe", "--nick", "piper", "--rate", "2"],
                                   wrapper: ["/bin/sh", "-c", "seq 30 | exec \"$0\" \"$@\""])
        defer { run.stop() }
        usleep(2_500_000)
        server.stop()
        XCTAssertEqual(run.waitForExit(timeout: 10), 1)
        let said = run.stderr
        let match = said.range(of: #"; [0-9]+ of 30 lines were not sent"#, options: .regularExpression)
        XCTAssertNotNil(match, said)
        let unsent = Int(said[match!].split(separator: " ")[1])!
        XCTAssertGreaterThan(unsent, 15, said)
        XCTAssertLessThan(unsent, 30, said)
    }

    private func socketPath() -> String {
        NSTemporaryDirectory() + "relay-deliver-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    private func startBot(_ server: RelayProcess, socket: String, _ extra: [String]) throws -> (RelayProcess, TestClient) {
        let watcher = try ircUser(port: server.port, nick: "watcher", room: "#ops")
        let bot = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "bot", "--stay",
                                    "--listen", socket] + extra)
        XCTAssertNotNil(watcher.waitFor(timeout: 10) { $0.hasPrefix(":bot!") && $0.contains(" JOIN ") }, bot.stderr)
        return (bot, watcher)
    }

    /// 20 posters at once through a bot paced at 2 lines a second, each with
    /// --timeout 3: every one is told ok (after "queued"), none gets an error.
    func testParallelPostersBehindThePacerAreAllConfirmed() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let socket = socketPath()
        let (bot, watcher) = try startBot(server, socket: socket, ["--rate", "2", "--timeout", "3"])
        defer { bot.stop() }
        let posters = try (1...20).map { index in
            try RelayProcess(["connect", "unix:\(socket)", "--join", "#ops", "--send", "post \(index)", "--timeout", "3"])
        }
        for (index, poster) in posters.enumerated() {
            XCTAssertEqual(poster.waitForExit(timeout: 30), 0, "poster \(index + 1): \(poster.stderr)")
        }
        let got = watcher.drain(quiet: 0.5).filter { $0.contains(" PRIVMSG #ops :post ") }
        XCTAssertEqual(got.count, 20, "each posted once")
    }

    /// --rate 0 against a server's own flood control (relay serve: 10 at once,
    /// then 2 a second): the server holds the lines, they all arrive, no error.
    func testAServersFloodControlDelaysButNeverFailsAPost() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let socket = socketPath()
        let (bot, watcher) = try startBot(server, socket: socket, ["--rate", "0", "--timeout", "3"])
        defer { bot.stop() }
        let run = try RelayRun.run(["connect", "unix:\(socket)", "--join", "#ops", "--timeout", "3"],
                                   stdin: (1...24).map { "line \($0)" }.joined(separator: "\n") + "\n", timeout: 40)
        XCTAssertEqual(run.status, 0, run.stderr)
        let got = watcher.drain(quiet: 0.5).filter { $0.contains(" PRIVMSG #ops :line ") }
        XCTAssertEqual(got.count, 24)
    }

    /// Debian's netcat-openbsd never half-closes: the socket closes once the
    /// last answer is given and the writer goes quiet.
    func testNetcatGetsItsOkAndExits() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/nc") else { throw XCTSkip("needs nc (netcat-openbsd)") }
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let socket = socketPath()
        let (bot, watcher) = try startBot(server, socket: socket, ["--rate", "0"])
        defer { bot.stop() }
        let nc = Process()
        nc.executableURL = URL(fileURLWithPath: "/bin/sh")
        nc.arguments = ["-c", "echo '#ops deploy finished' | nc -U \(socket)"]
        let output = Pipe()
        nc.standardOutput = output
        let start = Date()
        try nc.run()
        while nc.isRunning && Date().timeIntervalSince(start) < 10 { usleep(20_000) }
        if nc.isRunning { nc.terminate() }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "nc exited")
        XCTAssertEqual(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "ok\n")
        XCTAssertNotNil(watcher.waitFor { $0.hasSuffix(" PRIVMSG #ops :deploy finished") })
    }
}
