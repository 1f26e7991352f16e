import Foundation
import Glibc
import XCTest

/// `make install` into a temporary prefix, used as a newcomer would: the
/// installed binary runs with no Swift toolchain on its library path, the man
/// pages render and lint clean, the systemd units verify; `make uninstall`
/// leaves nothing behind.
final class InstallTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @discardableResult
    private func run(_ command: String, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: Self.repository)
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func have(_ tool: String) -> Bool {
        ["/usr/bin/", "/bin/", "/usr/sbin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
    }

    func testTheManPagesLintCleanAndRender() throws {
        guard have("mandoc") else { throw XCTSkip("needs mandoc (.ci/run installs it)") }
        for page in ["relay.1", "relay-serve.1", "relay-connect.1", "relay-bridge.1", "relay.7"] {
            let lint = try run("mandoc -T lint -W error man/\(page)")
            XCTAssertEqual(lint.status, 0, "\(page): \(lint.output)")
            let text = try run("mandoc -T html man/\(page)")
            XCTAssertEqual(text.status, 0, text.output)
            XCTAssertTrue(text.output.contains("id=\"SEE_ALSO\""), page)
            if page != "relay.7" { XCTAssertTrue(text.output.contains("id=\"EXAMPLES\""), page) }
        }
        let seven = try run("mandoc -T html man/relay.7").output
        for heading in ["THE_PLAIN_DIALECT", "BOT_PROTOCOL", "BRIDGE_FILE"] { XCTAssertTrue(seven.contains("id=\"\(heading)\""), heading) }
    }

    func testMakeInstallGivesAWorkingRelayWithoutTheToolchainAndUninstallRemovesIt() throws {
        guard have("make") else { throw XCTSkip("needs make") }
        let prefix = NSTemporaryDirectory() + "relay-install-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let install = try run("make install PREFIX=\(prefix)")
        XCTAssertEqual(install.status, 0, String(install.output.suffix(2000)))
        let files = [
            "bin/relay", "share/man/man1/relay.1", "share/man/man1/relay-serve.1", "share/man/man1/relay-connect.1",
            "share/man/man1/relay-bridge.1", "share/man/man7/relay.7", "share/bash-completion/completions/relay",
            "share/zsh/site-functions/_relay", "share/fish/vendor_completions.d/relay.fish",
            "share/doc/relay/systemd/relay-serve.service", "share/doc/relay/systemd/relay-bridge@.service",
            "share/doc/relay/systemd/relay-bot@.service", "share/doc/relay/systemd/relay-announce@.service",
        ]
        for file in files { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), file) }

        // The Swift runtime is inside: nothing is loaded from the toolchain.
        let libraries = try run("ldd \(prefix)/bin/relay").output
        XCTAssertFalse(libraries.contains("libswift") || libraries.contains("not found"), libraries)
        let clean = ["PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ""]
        let version = try run("\(prefix)/bin/relay --version", environment: clean)
        XCTAssertEqual(version.status, 0, version.output)
        XCTAssertEqual(version.output, "0.1.0\n")
        let serve = try run("\(prefix)/bin/relay serve --port 0 & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo status=$?",
                            environment: clean)
        XCTAssertTrue(serve.output.contains("relay: listening on 127.0.0.1:"), serve.output)
        XCTAssertTrue(serve.output.contains("status=0"), serve.output)
        let manual = try run("MANPAGER=cat MANWIDTH=80 man -l \(prefix)/share/man/man1/relay-serve.1")
        XCTAssertTrue(manual.output.contains("relay serve"), manual.output)

        if have("systemd-analyze") {
            let units = ["relay-serve.service", "relay-bridge@.service", "relay-bot@.service", "relay-announce@.service"]
            // Template units are verified as an instance of themselves.
            let folder = prefix + "/verify"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let instances = try units.map { unit -> String in
                let instance = folder + "/" + unit.replacingOccurrences(of: "@.", with: "@check.")
                try FileManager.default.copyItem(atPath: "\(prefix)/share/doc/relay/systemd/\(unit)", toPath: instance)
                return instance
            }
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let verify = try run("systemd-analyze verify --man=no " + instances.joined(separator: " "))
            XCTAssertEqual(verify.status, 0, verify.output)
        }

        let uninstall = try run("make uninstall PREFIX=\(prefix)")
        XCTAssertEqual(uninstall.status, 0, uninstall.output)
        let left = try run("find \(prefix) -type f").output
        XCTAssertEqual(left, "", "uninstall leaves no file")
    }
}
