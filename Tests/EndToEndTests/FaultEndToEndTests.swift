import Foundation
import Glibc
import XCTest

/// Servers that misbehave: `relay connect --send` ends within its timeout with a
/// reason every time, and a bridge goes on relaying between the healthy networks.
final class FaultEndToEndTests: XCTestCase {
    private func assertFailsPromptly(_ server: FakeServer, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "cron", "--send", "x", "--timeout", "3"],
                                   timeout: 15)
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertLessThan(run.seconds, 5, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(expected), run.stderr, file: file, line: line)
    }

    func testAServerThatRegistersThenClosesIsAFailureWithAReason() throws {
        let server = try FakeServer { fd in
            FakeServer.send(fd, ":srv 001 cron :Welcome\r\n")
            usleep(100_000)
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port): ")
    }

    func testAServerThatSendsGarbageIsAFailureWithinTheTimeout() throws {
        let server = try FakeServer { fd in
            var junk = [UInt8](repeating: 0, count: 4096)
            for round in 0..<30 {
                for index in junk.indices { junk[index] = UInt8.random(in: 0...255) }
                if round % 3 == 0 { junk[100] = 10 }  // now and then a line end
                if junk.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) < 0 { break }
                usleep(100_000)
            }
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port)")
    }

    func testAServerThatAcceptsAndNeverAnswersIsNoAnswerWithinTheTimeout() throws {
        let server = try FakeServer { fd in
            sleep(10)
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port): no answer within 3 s")
    }

    func testABridgeKeepsRelayingBetweenHealthyNetworksWhileOneSpeaksGarbage() throws {
        let garbage = try FakeServer { fd in
            for _ in 0..<100 {
                if Glibc.send(fd, "\u{1}\u{0}\u{FF}:::\r\n garbage \r\r\n", 18, Int32(MSG_NOSIGNAL)) < 0 { break }
                usleep(50_000)
            }
            close(fd)
        }
        defer { garbage.stop() }
        let a = try RelayProcess.serve()
        let b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try plainUser(a, nick: "ana")
        let bob = try plainUser(b, nick: "bob")
        for client in [ana, bob] { client.sendLine("/join #dev") }
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev",
                                       "irc://127.0.0.1:\(garbage.port)/#dev", "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("still bridged")
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix("na> still bridged") })
        XCTAssertNil(bridge.waitForExit(timeout: 0.1), bridge.stderr)
    }
}

/// Slow and endless lines against `relay serve`: the limits handle them and
/// everyone else is unaffected.
final class SlowAndEndlessLinesTests: XCTestCase {
    func testALineSentOneByteAt50msAndAMegabyteWithoutANewline() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        let slow = try plainUser(server, nick: "slow")
        // One byte every 50 ms: framed like any other line, nobody waits for it.
        let writer = Thread {
            for byte in Array("drip drip\n".utf8) {
                slow.sendBytes([byte])
                usleep(50_000)
            }
        }
        writer.start()
        ana.sendLine("meanwhile")
        bob.waitFor("<ana> meanwhile", timeout: 1)
        bob.waitFor("<slow> drip drip", timeout: 5)
        // A megabyte without a newline: discarded as it arrives, reported when it ends.
        let flood = try plainUser(server, nick: "flood")
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        for _ in 0..<16 { flood.sendBytes(chunk) }
        ana.sendLine("still fine")
        bob.waitFor("<ana> still fine")
        flood.sendBytes([10])
        XCTAssertNotNil(flood.waitFor { $0.hasPrefix("-!- Line too long (1048576 bytes") })
        let rss = server.residentKilobytes()
        XCTAssertLessThan(rss, 64 * 1024, "the megabyte was never held: \(rss) KiB")
    }
}
