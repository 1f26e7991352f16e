import Foundation
import Glibc
import XCTest

/// `relay serve --config FILE`: every option as a key; SIGHUP applies what it can.
final class ServeConfigEndToEndTests: XCTestCase {
    private var path = ""

    override func setUp() {
        path = NSTemporaryDirectory() + "relay-serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).toml"
    }

    override func tearDown() {
        unlink(path)
    }

    private func write(_ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testTheFileSetsOptionsTheCommandLineWinsAndSIGHUPAppliesWhatItCan() throws {
        try write("""
            # a comment
            lobby = "#hall"
            history = 5
            max_per_ip = 2
            name = "conf.test"
            """)
        let server = try RelayProcess.serve(["--config", path, "--name", "cli.test"])
        defer { server.stop() }
        let ana = try TestClient(port: server.port)
        XCTAssertTrue(ana.waitFor("-!- You joined #hall (just you)"))
        let irc = try ircUser(port: server.port, nick: "bob", room: "#x")
        irc.sendLine("VERSION")
        XCTAssertNotNil(irc.waitFor { $0.hasPrefix(":cli.test ") }, "the command line wins")
        let third = try TestClient(port: server.port)
        XCTAssertTrue(third.waitFor("ERROR :Closing Link: 127.0.0.1 (Too many connections from 127.0.0.1 (at most 2))"))

        try write("""
            lobby = "#hall"
            history = 5
            max_per_ip = 5
            name = "conf.test"
            sendq = 65536
            topic_length = 100
            """)
        server.signal(SIGHUP)
        XCTAssertTrue(server.waitForStderr("relay: info reloaded files=\"motd, password\" needs-restart=sendq,topic_length"), server.stderr)
        let fourth = try TestClient(port: server.port)
        XCTAssertTrue(fourth.waitFor { $0.hasPrefix("-!- Welcome") } != nil, "max_per_ip 5 applies at once")

        try write("port = [\n")
        server.signal(SIGHUP)
        XCTAssertTrue(server.waitForStderr("reload-failed"), server.stderr)
        XCTAssertTrue(server.stderr.contains(":1: Error while parsing array"), server.stderr)
        XCTAssertTrue(server.process.isRunning)
    }

    func testAnErrorNamesTheFileAndTheLineAndNothingListens() throws {
        try write("host = \"127.0.0.1\"\nmax_clients = 0\n")
        let run = try RelayRun.run(["serve", "--config", path], timeout: 10)
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "relay: \(path):2: --max-clients must be 1 to 1000000 (got 0)\n")
        try write("nope = 1\n")
        let unknown = try RelayRun.run(["serve", "--config", path], timeout: 10)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.hasPrefix("relay: \(path):1: Unknown option '--nope'"), unknown.stderr)
    }
}
