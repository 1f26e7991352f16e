import Foundation
import Glibc
import XCTest

/// `relay bridge --config FILE`: several groups, per-network passwords, errors
/// that name their line, and SIGHUP applying a change without reconnecting.
final class BridgeConfigEndToEndTests: XCTestCase {
    private let z = "\u{200B}"
    private var temp = ""

    override func setUpWithError() throws {
        temp = NSTemporaryDirectory() + "relay-bridge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: temp)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = temp + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func member(_ server: RelayProcess, room: String, nick: String, password: String? = nil) throws -> TestClient {
        let client = try TestClient(port: server.port)
        if let password { client.sendLine(password) }
        client.sendLine("/nick \(nick)")
        client.sendLine("/join \(room)")
        client.waitFor("-!- You are now known as \(nick)")
        XCTAssertNotNil(client.waitFor { $0.hasPrefix("-!- You joined \(room)") })
        return client
    }

    func testTwoGroupsPerNetworkPasswordsNoCrossTalkAndASIGHUPThatAddsARoom() throws {
        let a = try RelayProcess.serve()
        let b = try RelayProcess.serve(environment: ["RELAY_PASSWORD": "b-secret"])
        defer { a.stop(); b.stop() }
        let bPassword = try write("b.pass", "b-secret\n")
        let dev = try member(a, room: "#dev", nick: "ana")
        let dev2 = try member(a, room: "#dev2", nick: "cy")
        let bdev = try member(b, room: "#dev", nick: "bob", password: "b-secret")
        let ops = try member(a, room: "#ops", nick: "opa")
        let bops = try member(b, room: "#ops", nick: "opb", password: "b-secret")
        let extra = try member(b, room: "#extra", nick: "eve", password: "b-secret")
        func config(extraMember: Bool) -> String {
            """
            nick = "bridge"
            rate = 0

            [networks.a]
            host = "127.0.0.1"
            port = \(a.port)
            label = "A"

            [networks.b]
            host = "127.0.0.1"
            port = \(b.port)
            password_file = "\(bPassword)"

            [[groups]]
            name = "dev"
            members = ["a/#dev", "a/#dev2", "b/#dev"]

            [[groups]]
            name = "ops"
            members = ["a/#ops", "b/#ops"\(extraMember ? ", \"b/#extra\"" : "")]
            format = "[{network}] {nick}: {text}"
            """
        }
        let path = try write("bridge.toml", config(extraMember: false))
        let bridge = try RelayProcess(["bridge", "--config", path], environment: ["RELAY_PASSWORD": ""])
        defer { bridge.stop() }
        for (client, room) in [(dev, "#dev"), (dev2, "#dev2"), (bdev, "#dev"), (ops, "#ops"), (bops, "#ops")] {
            XCTAssertTrue(client.waitFor("-!- bridge joined \(room)", timeout: 10), bridge.stderr)
        }
        dev.sendLine("for dev")
        dev2.waitFor("<bridge> \(z)<a\(z)na> for dev")
        bdev.waitFor("<bridge> \(z)<a\(z)na> for dev")
        ops.sendLine("for ops")
        bops.waitFor("<bridge> \(z)[A] o\(z)pa: for ops")
        XCTAssertEqual(ops.drain(quiet: 0.3).filter { $0.contains("for dev") } + bops.drain(quiet: 0.3).filter { $0.contains("for dev") },
                       [], "groups never mix")
        XCTAssertEqual(bdev.drain(quiet: 0.2).filter { $0.contains("for ops") }, [])

        // SIGHUP with one more room in the ops group: joined, nobody reconnected.
        try config(extraMember: true).write(toFile: path, atomically: true, encoding: .utf8)
        bridge.signal(SIGHUP)
        XCTAssertTrue(extra.waitFor("-!- bridge joined #extra", timeout: 10), bridge.stderr)
        ops.sendLine("after reload")
        extra.waitFor("<bridge> \(z)[A] o\(z)pa: after reload")
        XCTAssertTrue(bridge.waitForStderr("reloaded: 0 network(s) added, 0 removed, 0 reconnected, 2 kept"), bridge.stderr)
        XCTAssertEqual(bridge.stderr.components(separatedBy: "connected as").count - 1, 2, "no reconnect: \(bridge.stderr)")
        XCTAssertEqual(dev.drain(quiet: 0.3).filter { $0.contains("quit") }, [])

        // A broken file on SIGHUP changes nothing.
        try "[[groups]\n".write(toFile: path, atomically: true, encoding: .utf8)
        bridge.signal(SIGHUP)
        XCTAssertTrue(bridge.waitForStderr("keeping the running setup"), bridge.stderr)
        dev.sendLine("still here")
        bdev.waitFor("<bridge> \(z)<a\(z)na> still here")
        XCTAssertFalse(bridge.stderr.contains("b-secret"))
    }

    func testAMalformedFileNamesItsLineAndConnectsNowhere() throws {
        let cases: [(String, String)] = [
            ("[networks.a]\nhost = \"h\"\nport = \"x\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n", ":3: port must be 1 to 65535"),
            ("[networks.a]\nhost = \"h\"\n\n[[groups]]\nmembers = [\"a/#x\", \"c/#y\"]\n", ":5: c/#y: no network called c"),
            ("[networks.a]\nhost = \"h\"\ncolour = \"red\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n", ":3: unknown setting colour"),
            ("[networks.a]\nhost = = \"h\"\n", ":2: "),
            ("[networks.a]\nhost = \"h\"\n[[groups]]\nmembers = [\"a/#x\"]\n", ":3: a group needs two or more rooms"),
            ("[networks.a]\nhost = \"h\"\npassword_env = \"RELAY_TEST_UNSET\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n", ":3: RELAY_TEST_UNSET is not set"),
            ("[networks.a]\nhost = \"h\"\nca_file = \"/x.pem\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n", ":3: ca_file needs tls = true"),
            ("[networks.a]\nhost = \"h\"\ntls = \"yes\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n", ":3: tls must be true or false"),
            ("[networks.a]\nhost = \"h\"\ntls = true\nsasl_user = \"ana\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n",
             ":4: network a: give the SASL password with sasl_password_file or sasl_password_env"),
            ("[networks.a]\nhost = \"h\"\nsasl_mechanism = \"external\"\n[[groups]]\nmembers = [\"a/#x\", \"a/#y\"]\n",
             ":3: sasl_mechanism = \"external\" needs tls = true and client_cert"),
        ]
        for (text, expected) in cases {
            let path = try write("bad.toml", text)
            let run = try RelayRun.run(["bridge", "--config", path], timeout: 10)
            XCTAssertEqual(run.status, 2, text)
            XCTAssertTrue(run.stderr.hasPrefix("relay: \(path)\(expected)"), "\(text)\n→ \(run.stderr)")
            XCTAssertLessThan(run.seconds, 5)
        }
    }
}
