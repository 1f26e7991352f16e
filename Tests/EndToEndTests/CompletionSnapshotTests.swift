import Foundation
import XCTest

/// The completion scripts in completions/ are what the binary generates now.
final class CompletionSnapshotTests: XCTestCase {
    func testCompletionScriptsAreFresh() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (shell, file) in [("bash", "relay.bash"), ("zsh", "_relay"), ("fish", "relay.fish")] {
            let run = try RelayRun.run(["--generate-completion-script", shell])
            XCTAssertEqual(run.status, 0)
            let stored = try String(contentsOf: root.appendingPathComponent("completions/\(file)"), encoding: .utf8)
            XCTAssertTrue(run.stdout == stored, "completions/\(file) is stale: run scripts/generate-completions.sh")
        }
    }
}
