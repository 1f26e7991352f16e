import Foundation
import XCTest

/// The built `relay` binary, run as a child process with its stderr captured.
final class RelayProcess {
    let process = Process()
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()
    private var stderrData = Data()
    private let lock = NSLock()
    private var drained = false
    /// The port from "relay: listening on HOST:PORT".
    private(set) var port = 0
    /// The port from "relay: listening on HOST:PORT (TLS)", when serving TLS.
    private(set) var tlsPort = 0

    static var binary: URL {
        // XCTest on Linux runs from the products directory, beside `relay`.
        Bundle.main.bundleURL.appendingPathComponent("relay")
    }

    /// Runs `relay ARGUMENTS`; with `limitDescriptors`, under `ulimit -n` of that many;
    /// with a `wrapper` command, under it (relay's path and arguments follow the wrapper's).
    init(_ arguments: [String], environment: [String: String] = [:], limitDescriptors: Int? = nil,
         wrapper: [String] = []) throws {
        if let limitDescriptors {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(limitDescriptors) && exec \"$0\" \"$@\"", Self.binary.path] + arguments
        } else if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [Self.binary.path] + arguments
        } else {
            process.executableURL = Self.binary
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        process.standardInput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            lock.lock(); stderrData.append(data); lock.unlock()
        }
        try process.run()
    }

    /// Starts `relay serve --port 0 ...` and waits for its startup line.
    static func serve(_ extra: [String] = [], environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> RelayProcess {
        let tls = extra.contains("--tls-cert") && !extra.contains("--tls-port") ? ["--tls-port", "0"] : []
        let relay = try RelayProcess(["serve", "--port", "0"] + tls + extra, environment: environment)
        try relay.waitForStartup(file: file, line: line)
        return relay
    }

    /// Waits for "relay: listening on HOST:PORT" and notes the port.
    func waitForStartup(file: StaticString = #filePath, line: UInt = #line) throws {
        let relay = self
        let deadline = Date().addingTimeInterval(20)
        let wantsTLS = process.arguments?.contains("--tls-cert") == true
        let wantsPlain = process.arguments?.contains("--tls-only") != true
        while Date() < deadline {
            for json in relay.stderr.split(separator: "\n") where json.contains("\"event\":\"listening\"") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String],
                      let address = object["address"], let colon = address.lastIndex(of: ":"),
                      let port = Int(address[address.index(after: colon)...]) else { continue }
                if object["tls"] == "yes" { relay.tlsPort = port } else { relay.port = port }
            }
            for line in relay.stderr.split(separator: "\n") where line.hasPrefix("relay: listening on ") {
                let secure = line.hasSuffix(" (TLS)")
                let address = secure ? line.dropLast(6) : line[...]
                guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { continue }
                if secure { relay.tlsPort = port } else { relay.port = port }
            }
            if (relay.port != 0 || !wantsPlain) && (relay.tlsPort != 0 || !wantsTLS) { return }
            if !relay.process.isRunning { break }
            usleep(10_000)
        }
        relay.stop()
        XCTFail("relay serve did not start: \(relay.stderr)", file: file, line: line)
        throw CocoaError(.fileReadUnknown)
    }

    var stderr: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Waits until what the running process wrote on stderr satisfies `condition`
    /// (stderr arrives asynchronously); returns it either way.
    @discardableResult
    func waitForStderr(timeout: TimeInterval = 5, _ condition: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(stderr) && Date() < deadline { usleep(10_000) }
        return stderr
    }

    /// Waits until stderr contains `text`; true if it did in time.
    func waitForStderr(_ text: String, timeout: TimeInterval = 5) -> Bool {
        waitForStderr(timeout: timeout) { $0.contains(text) }.contains(text)
    }

    var pid: Int32 { process.processIdentifier }
    /// Relay's stdout, for a test that reads it (or, to play a stalled reader, does not).
    var stdout: FileHandle { stdoutPipe.fileHandleForReading }

    func signal(_ signo: Int32) { kill(pid, signo) }

    /// Waits for exit; nil if it did not exit in time. After an exit, `stderr`
    /// holds everything the process wrote (the pipe is read to its end).
    func waitForExit(timeout: TimeInterval = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        drainStderr()
        return process.terminationStatus
    }

    /// The handler may not have run yet for the last bytes: read the pipe to EOF.
    private func drainStderr() {
        lock.lock()
        defer { lock.unlock() }
        guard !drained else { return }
        drained = true
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        stderrData.append(stderrPipe.fileHandleForReading.readDataToEndOfFile())
    }

    /// Resident memory now, in KiB (VmRSS from /proc).
    func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// CPU time used so far, in clock ticks (utime + stime from /proc).
    func cpuTicks() -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        return Int(fields[11])! + Int(fields[12])!
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
    }

    deinit { stop() }
}
