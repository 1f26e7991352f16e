import Foundation
import Glibc
import XCTest

/// Debian's redis-server on a free loopback port, nothing saved to disk:
/// the cluster's Redis. Skips the test where it is not installed.
final class RedisServer {
    private(set) var process: Process?
    let port: Int
    private let directory: String
    private let extra: [String]
    /// Serving TLS only (the test certificate for localhost), with a password.
    let tls: Bool
    let password: String?

    init(tls: Bool = false, password: String? = nil) throws {
        self.tls = tls
        self.password = password
        var extra: [String] = []
        if tls {
            extra += ["--tls-port", "PORT", "--tls-cert-file", TestCertificates.path("server.pem"),
                      "--tls-key-file", TestCertificates.path("server.key"),
                      "--tls-ca-cert-file", TestCertificates.path("ca.pem"), "--tls-auth-clients", "no"]
        }
        if let password { extra += ["--requirepass", password] }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else {
            throw XCTSkip("needs redis-server (.ci/run installs it)")
        }
        directory = NSTemporaryDirectory() + "relay-redis-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = freePort()
        self.extra = extra
        try start()
    }

    var url: String { tls ? "rediss://localhost:\(port)" : "redis://127.0.0.1:\(port)" }

    /// Starts (or starts again, on the same port) and waits until it answers.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", tls ? "0" : String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", directory, "--daemonize", "no", "--loglevel", "warning"]
            + extra.map { $0 == "PORT" ? String(port) : $0 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let client = tls ? try? TestClient(port: port, tls: TestCertificates.trusting()) : try? TestClient(port: port) {
                client.send("PING\r\n")
                let answer = client.readLine(timeout: 1)
                if answer == "+PONG" || answer?.hasPrefix("-NOAUTH") == true { return }
            }
            usleep(50_000)
        }
        XCTFail("redis-server did not start on \(port)")
    }

    /// Stops it as an operator would (SIGTERM), or as a crash would (SIGKILL).
    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit {
        stop(signal: SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
