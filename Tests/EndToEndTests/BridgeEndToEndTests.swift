import Foundation
import Glibc
import XCTest

/// `relay bridge` between two `relay serve` servers, both ways, surviving a restart.
final class BridgeEndToEndTests: XCTestCase {
    private func member(_ server: RelayProcess, room: String, nick: String) throws -> TestClient {
        let client = try TestClient(port: server.port)
        client.sendLine("/nick \(nick)")
        client.sendLine("/join \(room)")
        client.waitFor("-!- You are now known as \(nick)")
        XCTAssertNotNil(client.waitFor { $0.hasPrefix("-!- You joined \(room)") })
        return client
    }

    func testMessagesCrossBothWaysAndSurviveARestart() throws {
        let a = try RelayProcess.serve()
        var b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try member(a, room: "#dev", nick: "ana")
        var bob = try member(b, room: "#dev", nick: "bob")
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev",
                                       "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("hello from a")
        bob.waitFor("<bridge> <ana> hello from a")
        bob.sendLine("/me waves back")
        ana.waitFor("<bridge> * bob waves back")

        // B goes away and comes back on the same port; the bridge finds it again.
        let port = b.port
        b.stop()
        ana.sendLine("said while b was down")
        b = try RelayProcess(["serve", "--port", String(port)])
        try b.waitForStartup()
        bob = try member(b, room: "#dev", nick: "bob")
        XCTAssertNotNil(bob.waitFor(timeout: 15) { $0.hasPrefix("-!- bridge") && $0.hasSuffix("joined #dev") })
        bob.waitFor("<bridge> <ana> said while b was down")
        bob.sendLine("back again")
        ana.waitFor("<bridge> <bob> back again")
        XCTAssertTrue(bridge.stderr.contains("reconnecting in"), bridge.stderr)

        bridge.signal(SIGTERM)
        XCTAssertEqual(bridge.waitForExit(), 0)
        ana.waitFor("-!- bridge quit (Quit: bridge stopping)")
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a"]).status, 2)
        XCTAssertEqual(try RelayRun.run(["bridge", "irc://127.0.0.1:1/#a", "irc://127.0.0.1:2"]).status, 2)
    }
}
