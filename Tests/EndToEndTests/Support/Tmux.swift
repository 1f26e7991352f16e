import Foundation
import XCTest

/// A program in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
final class TmuxSession {
    let name: String
    private let socket: String

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs `command` with `environment` added and the variables in `unset` removed.
    init(command: [String], environment: [String: String] = [:], unset: [String] = [], width: Int = 100, height: Int = 24) throws {
        name = "relay-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        socket = NSTemporaryDirectory() + name + ".sock"
        let env = environment.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let removed = unset.map { "-u \($0) " }.joined()
        let line = "env \(removed)\(env) " + command.map(Self.quote).joined(separator: " ")
        try tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), line])
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs one tmux command and waits for it (posix_spawn and waitpid: Foundation's
    /// Process can miss the exit of a tmux client whose server daemonizes).
    /// Only `capture` reads its output, from a file, so no pipe is held open by the server.
    @discardableResult
    private func tmux(_ arguments: [String], capture: Bool = false) throws -> String {
        let outputPath = capture ? NSTemporaryDirectory() + name + ".out" : "/dev/null"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["/usr/bin/tmux", "-S", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        lastStatus = status
        guard capture else { return "" }
        defer { unlink(outputPath) }
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    private var lastStatus: Int32 = 0

    /// Types literal text (no Enter).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]) }

    /// Presses keys by tmux name: "Enter", "Tab", "C-d".
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// Resizes the window, as a person dragging the terminal's corner would.
    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// Pastes `text` as a terminal does with bracketed paste on.
    func paste(_ text: String) throws {
        try tmux(["set-buffer", "-b", "relay", text])
        try tmux(["paste-buffer", "-p", "-b", "relay", "-t", name])
    }

    /// The visible screen, trailing blank lines dropped; with `escapes`, colour codes kept.
    func screen(escapes: Bool = false) -> [String] {
        let text = (try? tmux(["capture-pane", "-p"] + (escapes ? ["-e"] : []) + ["-t", name], capture: true)) ?? ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Waits until the screen satisfies `predicate`; returns the screen either way.
    @discardableResult
    func waitForScreen(timeout: TimeInterval = 10, _ predicate: ([String]) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var lines = screen()
        while !predicate(lines) && Date() < deadline {
            usleep(50_000)
            lines = screen()
        }
        return lines
    }

    /// The pane's title, which an OSC 0/2 sequence reaching the terminal would set.
    func title() -> String {
        ((try? tmux(["display-message", "-p", "-t", name, "#{pane_title}"], capture: true)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The session still exists: tmux closes it when the program in it exits.
    var isRunning: Bool {
        _ = try? tmux(["has-session", "-t", name])
        return lastStatus == 0
    }

    func kill() {
        _ = try? tmux(["kill-server"])
        unlink(socket)
    }

    deinit { kill() }
}
