import Foundation
import XCTest

/// One run of the `relay` binary to its end: stdin in, stdout, stderr and status out.
struct RelayRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: TimeInterval

    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Runs `relay ARGUMENTS`. With `environment` set and `inherit` false, the
    /// child gets only that environment (cron's is nearly empty). A `wrapper`
    /// command runs relay (its path, then the arguments, follow the wrapper's).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    inherit: Bool = true, timeout: TimeInterval = 60, wrapper: [String] = []) throws -> RelayRun {
        let process = Process()
        if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [RelayProcess.binary.path] + arguments
        } else {
            process.executableURL = RelayProcess.binary
            process.arguments = arguments
        }
        var env = inherit ? ProcessInfo.processInfo.environment : [:]
        env.merge(environment) { $1 }
        process.environment = env
        let output = Pipe(), errors = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let outData = Collected(), errData = Collected()
        output.fileHandleForReading.readabilityHandler = { outData.append($0.availableData) }
        errors.fileHandleForReading.readabilityHandler = { errData.append($0.availableData) }
        let start = Date()
        try process.run()
        if let stdin {
            let writer = input.fileHandleForWriting
            DispatchQueue.global().async {
                writer.write(Data(stdin.utf8))
                try? writer.close()
            }
        }
        let deadline = start.addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("relay \(arguments.joined(separator: " ")) did not exit within \(timeout) s")
        }
        // What the handlers have not read yet is still in the pipes: read it to the end.
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
        outData.append(output.fileHandleForReading.readDataToEndOfFile())
        errData.append(errors.fileHandleForReading.readDataToEndOfFile())
        return RelayRun(status: process.terminationStatus, stdout: outData.text, stderr: errData.text,
                        seconds: Date().timeIntervalSince(start))
    }
}

/// Bytes gathered from a pipe's handler thread.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock(); data.append(more); lock.unlock()
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return data.count
    }
}

/// A free loopback port (bound then released: a tiny race, fine for tests).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            bind(fd, pointer, length)
            return getsockname(fd, pointer, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
