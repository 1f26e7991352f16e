import Foundation
import Glibc
import XCTest

/// A hostile server's nicks, room names and topics never drive the terminal.
final class TerminalSafetyEndToEndTests: XCTestCase {
    private func hostileServer() throws -> FakeServer {
        try FakeServer { fd in
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = recv(fd, &buffer, buffer.count, 0)  // the registration
            FakeServer.send(fd, ":srv 001 ana :hi\r\n")
            FakeServer.send(fd, ":ana!a@h JOIN #ops\r\n")
            FakeServer.send(fd, ":srv 332 ana #ops :topic \u{1B}]2;topic-title\u{7}here\r\n")
            FakeServer.send(fd, ":ev\u{1B}]2;nick-title\u{7}il!u@h PRIVMSG #ops :hello \u{9B}31mred\u{1B}[2J\r\n")
            FakeServer.send(fd, ":ana!a@h JOIN #o\u{9B}2Jps\r\n")
            FakeServer.send(fd, ":x!u@h PRIVMSG #o\u{9B}2Jps :last line\r\n")
            while recv(fd, &buffer, buffer.count, 0) > 0 {}
            close(fd)
        }
    }

    func testTheInteractiveChatStripsControlsFromEveryField() throws {
        guard TmuxSession.isAvailable else { throw XCTSkip("needs tmux (.ci/run installs it)") }
        let server = try hostileServer()
        defer { server.stop() }
        let state = NSTemporaryDirectory() + "relay-safe-\(getpid())"
        let session = try TmuxSession(command: [RelayProcess.binary.path, "connect", "irc://127.0.0.1:\(server.port)/#ops",
                                                "--nick", "ana"],
                                      environment: ["XDG_STATE_HOME": state, "NO_COLOR": "1", "TERM": "xterm"])
        defer { session.kill() }
        let screen = session.waitForScreen { $0.contains { $0.hasSuffix("last line") } }
        XCTAssertTrue(screen.contains { $0.hasSuffix("<ev]2;nick-titleil> hello 31mred[2J") }, "\(screen)")
        XCTAssertFalse(session.title().contains("title"), session.title())
        let raw = session.screen(escapes: true).joined(separator: "\n")
        XCTAssertFalse(raw.contains("\u{1B}]"), raw.debugDescription)
        XCTAssertFalse(raw.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, raw.debugDescription)
    }

    func testStayOutputOnATerminalIsStrippedToo() throws {
        guard TmuxSession.isAvailable else { throw XCTSkip("needs tmux (.ci/run installs it)") }
        let server = try hostileServer()
        defer { server.stop() }
        let session = try TmuxSession(command: ["/bin/sh", "-c", "\(RelayProcess.binary.path) connect irc://127.0.0.1:\(server.port)/#ops --nick ana --stay < /dev/null"],
                                      environment: ["TERM": "xterm"])
        defer { session.kill() }
        let screen = session.waitForScreen { $0.contains { $0.hasSuffix("last line") } }
        XCTAssertTrue(screen.contains("#ops <ev]2;nick-titleil> hello 31mred[2J"), "\(screen)")
        XCTAssertFalse(session.title().contains("title"), session.title())
    }
}

/// A password given in a URL is not left for `ps` to show.
final class ArgvPasswordEndToEndTests: XCTestCase {
    func testAURLPasswordIsHiddenFromPsButStillUsed() throws {
        let file = NSTemporaryDirectory() + "relay-argv-pass-\(getpid())"
        try "s3cret-pw\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        defer { unlink(file) }
        let server = try RelayProcess.serve(["--password-file", file])
        defer { server.stop() }
        let watcher = try TestClient(port: server.port)
        watcher.sendLine("s3cret-pw")
        watcher.waitFor { $0.hasPrefix("-!- You joined #lobby") }
        let bot = try RelayProcess(["connect", "irc://bot:s3cret-pw@127.0.0.1:\(server.port)/#lobby", "--stay"])
        defer { bot.stop() }
        XCTAssertTrue(watcher.waitFor("-!- bot joined #lobby", timeout: 10), bot.stderr)
        let cmdline = try String(contentsOfFile: "/proc/\(bot.pid)/cmdline", encoding: .utf8)
        XCTAssertFalse(cmdline.contains("s3cret"), cmdline)
        XCTAssertTrue(cmdline.contains("irc://bot:*********@127.0.0.1:"), cmdline.replacingOccurrences(of: "\0", with: " "))
    }
}
