import Foundation
import Glibc
import XCTest

/// Debian's ngircd on a free loopback port, with a generated configuration:
/// a real IRC server nobody here wrote. Skips the test where it is not installed.
final class Ngircd {
    private(set) var process: Process?
    let directory: String
    let port: Int
    /// The TLS port, when started with `tls: true` (the test certificate for localhost).
    private(set) var tlsPort = 0
    private let config: String

    /// `global` lines are added to the `[Global]` section (e.g. `Password = x`);
    /// with `tls`, an `[SSL]` section serves the test certificate on `tlsPort`.
    init(global: [String] = [], tls: Bool = false) throws {
        let binary = "/usr/sbin/ngircd"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("needs ngircd (.ci/run installs it)")
        }
        directory = NSTemporaryDirectory() + "relay-ngircd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = freePort()
        config = directory + "/ngircd.conf"
        var text = """
            [Global]
            \tName = irc.relay.test
            \tInfo = relay interop test
            \tListen = 127.0.0.1
            \tPorts = \(port)
            \tMotdPhrase = relay interop
            \(global.map { "\t" + $0 }.joined(separator: "\n"))
            [Limits]
            \tMaxConnectionsIP = 0
            [Options]
            \tPAM = no
            \tIdent = no
            \tDNS = no
            """
        if tls {
            tlsPort = freePort()
            text += """

                [SSL]
                \tCertFile = \(TestCertificates.path("server.pem"))
                \tKeyFile = \(TestCertificates.path("server.key"))
                \tPorts = \(tlsPort)
                """
        }
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        try start()
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ngircd")
        process.arguments = ["--nodaemon", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? TestClient(port: port)) != nil { return }
            usleep(50_000)
        }
        XCTFail("ngircd did not start listening on \(port)")
    }

    /// Stops the server the way an operator would (SIGTERM: it says goodbye to its clients).
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// A registered client in `room`.
    func watcher(_ nick: String = "watcher", room: String = "#interop", key: String? = nil) throws -> TestClient {
        let client = try TestClient(port: port)
        client.sendLine("NICK \(nick)")
        client.sendLine("USER \(nick) 0 * :\(nick)")
        client.waitFor { $0.contains(" 376 ") || $0.contains(" 422 ") }
        client.sendLine("JOIN \(room)\(key.map { " " + $0 } ?? "")")
        client.waitFor { $0.contains(" 366 ") }
        return client
    }

    /// Waits until `nick` is in `room` as `client` (a member of it) sees it: its JOIN, or
    /// its name in a NAMES reply asked for every half second. A JOIN alone races: a
    /// reconnecting client may join before the watcher does.
    func waitUntil(_ nick: String, isIn room: String, as client: TestClient, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            client.sendLine("NAMES \(room)")
            let seen = client.waitFor(timeout: 0.5) { line in
                (line.hasPrefix(":\(nick)!") && line.contains(" JOIN "))
                    || (line.contains(" 353 ") && line.split(separator: ":").last.map {
                        $0.split(separator: " ").contains { $0.trimmingCharacters(in: CharacterSet(charactersIn: "@+")) == nick }
                    } == true)
            }
            if seen != nil { return true }
        }
        return false
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
