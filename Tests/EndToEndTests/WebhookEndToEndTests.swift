import Foundation
import Glibc
import XCTest

/// `relay connect --http`: webhooks against `relay serve`, from raw sockets,
/// curl and Python's http.client; every limit tried by a client that passes it.
final class WebhookEndToEndTests: XCTestCase {
    private var server: RelayProcess!
    private var temp = ""

    override func setUpWithError() throws {
        server = try RelayProcess.serve(["--flood-rate", "0"])
        temp = NSTemporaryDirectory() + "relay-hook-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        try? FileManager.default.removeItem(atPath: temp)
    }

    /// A webhook bot on `server`, and its HTTP port (from "http: listening on http://127.0.0.1:PORT").
    private func startHook(_ extra: [String] = []) throws -> (RelayProcess, Int) {
        let bot = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)", "--nick", "hook", "--rate", "0",
                                    "--http", "0"] + extra)
        let said = bot.waitForStderr(timeout: 10) { $0.contains("connected to") && $0.contains("listening on http") }
        guard let range = said.range(of: #"listening on https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = Int(said[range].split(separator: ":").last!) else {
            bot.stop()
            throw XCTSkip("no listening line: \(said)")
        }
        return (bot, port)
    }

    private func watcher(_ room: String = "#ops") throws -> TestClient {
        let user = try plainUser(server, nick: "ana\(Int.random(in: 100...999))")
        user.sendLine("/join \(room)")
        user.waitFor { $0.hasPrefix("-!- You joined \(room)") }
        return user
    }

    /// One raw request; the status line and the body's first line.
    private func exchange(_ port: Int, _ request: String) throws -> (status: String, body: String) {
        let client = try TestClient(port: port)
        defer { client.close() }
        client.send(request)
        let status = client.readLine(timeout: 10) ?? "nothing"
        while let header = client.readLine(timeout: 5), !header.isEmpty {}
        return (status, client.readLine(timeout: 5) ?? "")
    }

    private func post(_ path: String, _ body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    func testTextPostedIsSaidAndConfirmed() throws {
        let room = try watcher()
        let (bot, port) = try startHook()
        defer { bot.stop() }
        let answer = try exchange(port, post("/send/ops?wait=1", "deploy finished\nall green"))
        XCTAssertEqual(answer.status, "HTTP/1.1 200 OK")
        XCTAssertEqual(answer.body, "delivered 2 lines to #ops")
        XCTAssertTrue(room.waitFor("<hook> deploy finished"))
        XCTAssertTrue(room.waitFor("<hook> all green"))
        let queued = try exchange(port, post("/send", ##"{"room":"#ops","text":"from json"}"##, headers: "Content-Type: application/json\r\n"))
        XCTAssertEqual(queued.status, "HTTP/1.1 202 Accepted")
        XCTAssertEqual(queued.body, "queued 1 line for #ops")
        XCTAssertTrue(room.waitFor("<hook> from json"))
    }

    func testCurlWithABearerToken() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("needs curl (.ci/run installs it)") }
        let tokenFile = temp + "/token"
        try "letmein\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        let room = try watcher()
        let (bot, port) = try startHook(["--http-token-file", tokenFile])
        defer { bot.stop() }
        func curl(_ arguments: [String]) throws -> String {
            let process = Process(), output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "-w", " %{http_code}", "--max-time", "20"] + arguments
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: "")
        }
        XCTAssertEqual(try curl(["-d", "sneaky", "http://127.0.0.1:\(port)/send/ops"]),
                       "missing or wrong token (Authorization: Bearer TOKEN) 401")
        XCTAssertEqual(try curl(["-H", "Authorization: Bearer letmein", "--data-binary", "from curl", "http://127.0.0.1:\(port)/send/ops?wait=1"]),
                       "delivered 1 line to #ops 200")
        XCTAssertTrue(room.waitFor("<hook> from curl"))
        XCTAssertFalse(room.drain().contains { $0.contains("sneaky") })
    }

    func testAGitHubSignedPushAndABadSignature() throws {
        let secretFile = temp + "/secret"
        try "It's a Secret to Everybody".write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
        let room = try watcher("#dev")
        let (bot, port) = try startHook(["--http-secret-file", secretFile])
        defer { bot.stop() }
        try PythonBots("webhook_client.py", ["signed", "\(port)", "It's a Secret to Everybody", "#dev"]).finish(within: 30)
        XCTAssertTrue(room.waitFor("<hook> [relay/relay] ana pushed 1 commit to main: https://example.org/compare"))
        XCTAssertTrue(room.waitFor("<hook>   0123456 Fix the thing (Ana)"))
        XCTAssertEqual(room.drain().filter { $0.hasPrefix("<hook>") }, [], "the badly signed push said nothing")
    }

    /// Two requests in one write (pipelined) and a HEAD: each answered, in order, on one connection.
    func testPipelinedRequestsAndHEADOnOneConnection() throws {
        let room = try watcher()
        let (bot, port) = try startHook()
        defer { bot.stop() }
        let client = try TestClient(port: port)
        client.send("HEAD / HTTP/1.1\r\n\r\n" + "POST /send/ops?wait=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nfirst"
                    + "POST /send/ops?wait=1 HTTP/1.1\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond")
        var lines: [String] = []
        while let line = client.readLine(timeout: 10) { lines.append(line) }
        XCTAssertEqual(lines.filter { $0.hasPrefix("HTTP/1.1") }, ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(lines)")
        XCTAssertEqual(lines.filter { $0.hasPrefix("delivered") || $0.hasPrefix("relay webhook") },
                       ["delivered 1 line to #ops", "delivered 1 line to #ops"], "HEAD has no body")
        XCTAssertTrue(room.waitFor("<hook> first"))
        XCTAssertTrue(room.waitFor("<hook> second"))

        // Thousands pipelined in one write: each answered, in turn (none recurses into the next).
        let many = try TestClient(port: port)
        many.send(String(repeating: "GET / HTTP/1.1\r\n\r\n", count: 3000) + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        var answered = 0
        while let line = many.readLine(timeout: 10) {
            if line == "HTTP/1.1 200 OK" { answered += 1 }
        }
        XCTAssertEqual(answered, 3001)
        XCTAssertNil(bot.waitForExit(timeout: 0.1), "still running")
    }

    /// A client that sends half a request and stalls is answered 408 and
    /// dropped after --http-timeout; the listener serves others meanwhile.
    func testSlowLorisIsDroppedAfterTheLimit() throws {
        let (bot, port) = try startHook(["--http-timeout", "1"])
        defer { bot.stop() }
        let slow = try TestClient(port: port)
        slow.send("POST /send/ops HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n")
        XCTAssertEqual(try exchange(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n").status, "HTTP/1.1 200 OK")
        let started = Date()
        XCTAssertEqual(slow.readLine(timeout: 5), "HTTP/1.1 408 Request Timeout")
        XCTAssertTrue(slow.waitForClose(timeout: 5))
        XCTAssertLessThan(Date().timeIntervalSince(started), 4)
        // An idle connection (nothing sent at all) is closed without a word.
        let idle = try TestClient(port: port)
        XCTAssertTrue(idle.waitForClose(timeout: 5))
        XCTAssertEqual(idle.drain(), [])
    }

    func testEveryLimitIsAnsweredWithItsStatus() throws {
        let (bot, port) = try startHook(["--http-max-body", "100"])
        defer { bot.stop() }
        XCTAssertEqual(try exchange(port, post("/send/ops", String(repeating: "x", count: 101))).status,
                       "HTTP/1.1 413 Content Too Large")
        let headers = (0..<70).map { "X-\($0): y\r\n" }.joined()
        XCTAssertEqual(try exchange(port, post("/send/ops", "x", headers: headers)).status,
                       "HTTP/1.1 431 Request Header Fields Too Large")
        XCTAssertEqual(try exchange(port, "GET /\(String(repeating: "a", count: 3000)) HTTP/1.1\r\n\r\n").status,
                       "HTTP/1.1 414 URI Too Long")
        XCTAssertEqual(try exchange(port, "\u{0}\u{1}garbage\r\n\r\n").status, "HTTP/1.1 400 Bad Request")
        XCTAssertEqual(try exchange(port, post("/send/ops", "\u{ff}")).status, "HTTP/1.1 202 Accepted")
        // 64 connections at once; the 65th is told to come back.
        var open: [TestClient] = []
        for _ in 0..<64 { open.append(try TestClient(port: port)) }
        XCTAssertEqual(try exchange(port, "GET / HTTP/1.1\r\n\r\n").status, "HTTP/1.1 503 Service Unavailable")
        for client in open { client.close() }
        // Still serving, and the bot is still in the room.
        XCTAssertTrue(waitUntil { (try? self.exchange(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n").status) == "HTTP/1.1 200 OK" })
        XCTAssertNil(bot.waitForExit(timeout: 0.1))
    }

    /// 1,000 posts at once over four keep-alive connections: every one is
    /// answered, every line arrives, in order within its room.
    func testABurstOfAThousandPosts() throws {
        let rooms = ["#r1", "#r2", "#r3", "#r4"]
        let watchers = try rooms.map { try watcher($0) }
        let (bot, port) = try startHook()
        defer { bot.stop() }
        try PythonBots("webhook_client.py", ["burst", "\(port)", "250"] + rooms).finish(within: 120)
        for (room, watcher) in zip(rooms, watchers) {
            var seen: [String] = []
            while seen.count < 250, let line = watcher.waitFor(timeout: 30, { $0.hasPrefix("<hook> ") }) {
                seen.append(String(line.dropFirst(7)))
            }
            XCTAssertEqual(seen, (0..<250).map { "\(room) line \($0)" }, "\(room): \(seen.count) lines")
        }
        XCTAssertFalse(bot.stderr.contains("not delivered"), bot.stderr)
    }

    func testOverTLS() throws {
        let room = try watcher()
        let (bot, port) = try startHook(["--http-tls-cert", TestCertificates.path("server.pem"),
                                         "--http-tls-key", TestCertificates.path("server.key")])
        defer { bot.stop() }
        let client = try TestClient(port: port, tls: try TestCertificates.trusting())
        client.send(post("/send/ops?wait=1", "secret deploy"))
        XCTAssertEqual(client.readLine(timeout: 10), "HTTP/1.1 200 OK")
        XCTAssertTrue(room.waitFor("<hook> secret deploy"))
        // Plain HTTP on the TLS port is no request.
        XCTAssertNotEqual(try exchange(port, "GET / HTTP/1.1\r\n\r\n").status, "HTTP/1.1 200 OK")
    }

    func testReachableFromOtherMachinesOnlyWithASecret() throws {
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)", "--http", "0.0.0.0:0"], timeout: 10)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--http 0.0.0.0:0 is reachable from other machines: give --http-token-file or --http-secret-file"),
                      run.stderr)
    }

    /// The bridge's listener says a line in every bridged room of that name;
    /// for a network that is down it waits, and arrives once it is back.
    func testTheBridgeSaysItOnEveryNetworkAndHoldsItForOneThatIsDown() throws {
        var other = try RelayProcess.serve()
        defer { other.stop() }
        let here = try watcher("#dev")
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(server.port)/#dev", "irc://127.0.0.1:\(other.port)/#dev",
                                       "--nick", "bridge", "--rate", "0", "--http", "0"])
        defer { bridge.stop() }
        let said = bridge.waitForStderr(timeout: 10) { $0.components(separatedBy: "joined #dev").count == 3 && $0.contains("listening on http") }
        guard let range = said.range(of: #"127\.0\.0\.1:(\d+) \(POST"#, options: .regularExpression),
              let port = Int(said[range].dropFirst(10).prefix { $0.isNumber }) else { return XCTFail(said) }
        var there = try plainUser(other, nick: "bob")
        there.sendLine("/join #dev")
        XCTAssertNotNil(there.waitFor { $0.hasPrefix("-!- You joined #dev") })
        let answer = try exchange(port, post("/send/dev?wait=1", "release 1.2 is out"))
        XCTAssertEqual(answer.status, "HTTP/1.1 200 OK")
        XCTAssertEqual(answer.body, "delivered 1 line to #dev on 2 networks")
        XCTAssertTrue(here.waitFor("<bridge> \u{200B}release 1.2 is out"))
        XCTAssertTrue(there.waitFor("<bridge> \u{200B}release 1.2 is out"))
        XCTAssertEqual(try exchange(port, post("/send/elsewhere", "x")).body, "the bridge is in no room named #elsewhere")

        let otherPort = other.port
        other.stop()
        XCTAssertTrue(bridge.waitForStderr("reconnecting in", timeout: 10), bridge.stderr)
        XCTAssertEqual(try exchange(port, post("/send/dev", "while you were away")).body, "queued 1 line for #dev on 2 networks")
        XCTAssertTrue(here.waitFor("<bridge> \u{200B}while you were away"))
        other = try RelayProcess(["serve", "--port", String(otherPort)])
        try other.waitForStartup()
        there = try plainUser(other, nick: "bob")
        there.sendLine("/join #dev")
        XCTAssertNotNil(there.waitFor(timeout: 15) { $0 == "<bridge> \u{200B}while you were away" })
    }

    private func waitUntil(timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return false
    }
}
