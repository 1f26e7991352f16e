import Foundation
import Glibc
import XCTest

/// `relay serve --coalesce`: output held a moment after a busy write still
/// arrives, whole and in order, with nothing after it to push it out.
final class CoalescingEndToEndTests: XCTestCase {
    /// 40 receivers make every flush busy; at 10 ms (the most allowed) the lines
    /// said right after one are held. The last one must leave when the window
    /// ends, not wait for the next event (there is none).
    func testHeldLinesArriveWholeAndInOrderWithNothingAfterThem() throws {
        let server = try RelayProcess.serve(["--coalesce", "10", "--flood-rate", "0"])
        defer { server.stop() }
        let receivers = try (0..<40).map { try ircUser(port: server.port, nick: "r\($0)", room: "#busy") }
        let sender = try ircUser(port: server.port, nick: "sender", room: "#busy")
        usleep(200_000)
        for receiver in receivers { _ = receiver.drain(quiet: 0.02) }
        sender.sendLine("PRIVMSG #busy :first")
        usleep(2_000)
        for index in 2...4 { sender.sendLine("PRIVMSG #busy :line \(index)") }
        usleep(20_000)
        sender.sendLine("PRIVMSG #busy :last, alone")
        let began = Date()
        for receiver in receivers {
            var said: [String] = []
            while let line = receiver.readLine(timeout: 5) {
                guard let text = line.range(of: "PRIVMSG #busy :").map({ String(line[$0.upperBound...]) }) else { continue }
                said.append(text)
                if text == "last, alone" { break }
            }
            XCTAssertEqual(said, ["first", "line 2", "line 3", "line 4", "last, alone"])
        }
        XCTAssertLessThan(Date().timeIntervalSince(began), 2, "the held line left at the window's end")
    }

    func testTheWindowIsBounded() throws {
        for (value, expected) in [("11", "--coalesce must be 0 (off) or 0.001 to 10 (got 11.0)"), ("-1", "--coalesce must be")] {
            let relay = try RelayProcess(["serve", "--port", "0", "--coalesce=\(value)"])
            XCTAssertEqual(relay.waitForExit(), 2, value)
            XCTAssertTrue(relay.stderr.contains(expected), relay.stderr)
        }
        let off = try RelayProcess.serve(["--coalesce", "0"])
        defer { off.stop() }
        let ana = try ircUser(port: off.port, nick: "ana", room: "#a")
        let bob = try ircUser(port: off.port, nick: "bob", room: "#a")
        ana.sendLine("PRIVMSG #a :hi")
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix("PRIVMSG #a :hi") })
    }
}
