import Foundation
import XCTest

/// One of `Interop/`'s scripts written with Debian's python3-irc, running
/// against a server; skips the test where python3 is not there.
final class PythonBots {
    private let process = Process()
    private let output = Pipe()

    init(_ script: String, _ arguments: [String]) throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("needs Debian's python3 with python3-irc (.ci/run installs it)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/\(script)").path] + arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Waits for the script to end: it must, and with 0 (what it printed says what it missed).
    func finish(within seconds: TimeInterval, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(process.isRunning, "the bots finished", file: file, line: line)
        if process.isRunning { return }
        let printed = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, printed, file: file, line: line)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
