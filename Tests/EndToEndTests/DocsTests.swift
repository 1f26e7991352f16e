import Foundation
import XCTest

/// Every `relay ...` command shown in the README and docs/ still parses and
/// passes validation (run with RELAY_CHECK_USAGE=1, which stops after that):
/// a renamed option or a tightened range cannot leave a page lying.
final class DocsTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `relay ...` commands of a page's code blocks (lines indented four
    /// spaces), without prompts, comments, redirections and what a pipe joins.
    static func commands(in text: String) -> [String] {
        var found: [String] = []
        // A trailing backslash continues the command on the next line.
        var lines: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("    ") {
            if let last = lines.last, last.hasSuffix("\\") {
                lines[lines.count - 1] = String(last.dropLast()) + line.drop { $0 == " " }
            } else {
                lines.append(String(line))
            }
        }
        for line in lines {
            var body = line.drop { $0 == " " }
            if body.hasPrefix("$ ") { body = body.dropFirst(2) }
            for segment in body.components(separatedBy: " | ") {
                var command = segment.trimmingCharacters(in: .whitespaces)
                guard command.hasPrefix("relay ") else { continue }
                if let comment = command.range(of: #"\s{2,}#\s"#, options: .regularExpression) {
                    command = String(command[..<comment.lowerBound])
                }
                for stop in [" >", " <", " &", " 2>"] {
                    if let range = command.range(of: stop) { command = String(command[..<range.lowerBound]) }
                }
                found.append(command.trimmingCharacters(in: .whitespaces))
            }
        }
        return found
    }

    func testEveryDocumentedCommandStillParses() throws {
        let pages = ["README.md", "docs/serve.md", "docs/connect-and-bots.md", "docs/bridge.md", "docs/operations.md",
                     "docs/security-and-limits.md"]
        var checked = 0
        for page in pages {
            let text = try String(contentsOf: Self.repository.appendingPathComponent(page), encoding: .utf8)
            for command in Self.commands(in: text) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                var environment = ProcessInfo.processInfo.environment
                environment["RELAY_CHECK_USAGE"] = "1"
                environment["PATH"] = RelayProcess.binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
                process.environment = environment
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = FileHandle.nullDevice
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, "\(page): \(command)\n\(said)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 15, "the pages show commands")
    }

    func testTheExtractorTakesTheCommandAndLeavesTheRest() {
        let page = """
            prose relay serve
                $ relay serve --port 0
                tail -f app.log | relay connect irc://h/#alerts --nick app  # announce a stream
                relay connect irc://h/#ops --json --stay < /dev/null >> ops.log
                nick = "bridge"
                relay connect irc://h/#ops --nick bot \\
                    --on '!uptime=uptime'
            """
        XCTAssertEqual(Self.commands(in: page), [
            "relay serve --port 0", "relay connect irc://h/#alerts --nick app", "relay connect irc://h/#ops --json --stay",
            "relay connect irc://h/#ops --nick bot --on '!uptime=uptime'",
        ])
    }
}
