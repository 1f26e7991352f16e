import Foundation
import XCTest

/// A program in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
final class TmuxSession {
    let name: String
    private let socket: String

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    init(command: [String], environment: [String: String] = [:], width: Int = 100, height: Int = 24) throws {
        name = "relay-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        socket = NSTemporaryDirectory() + name + ".sock"
        let env = environment.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let line = "env \(env) " + command.map(Self.quote).joined(separator: " ")
        try tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), line])
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-S", socket] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Types literal text (no Enter).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]) }

    /// Presses keys by tmux name: "Enter", "Tab", "C-d".
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// The visible screen, trailing blank lines dropped.
    func screen() -> [String] {
        let text = (try? tmux(["capture-pane", "-p", "-t", name])) ?? ""
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

    var isRunning: Bool { (try? tmux(["has-session", "-t", name])) != nil && screenAlive() }

    private func screenAlive() -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-S", socket, "has-session", "-t", name]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    func kill() {
        _ = try? tmux(["kill-server"])
        unlink(socket)
    }

    deinit { kill() }
}
