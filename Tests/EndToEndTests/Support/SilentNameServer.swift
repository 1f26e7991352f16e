import Foundation
import Glibc
import XCTest

/// A name server on loopback that takes every question and never answers: a DNS
/// lookup that hangs, as on a network whose resolver has gone away. glibc reads
/// its servers only from /etc/resolv.conf (no port, no environment variable), so
/// relay runs under `wrapper`: a private mount namespace where /etc/resolv.conf
/// names this server. Needs root (to bind port 53 and to mount); skips otherwise.
final class SilentNameServer {
    private let fd: Int32
    private let directory: String
    /// Prefix for `RelayRun.run(wrapper:)` and `RelayProcess(wrapper:)`.
    let wrapper: [String]

    init() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            throw XCTSkip("needs root and unshare(1) to give relay a resolver that never answers")
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(53).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.2")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        directory = NSTemporaryDirectory() + "relay-dns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let conf = directory + "/resolv.conf"
        try "nameserver 127.0.0.2\n".write(toFile: conf, atomically: true, encoding: .utf8)
        wrapper = ["/usr/bin/unshare", "--mount", "/bin/sh", "-c",
                   "mount --bind '\(conf)' /etc/resolv.conf && exec \"$0\" \"$@\""]
        guard bound == 0 else { throw XCTSkip("cannot bind 127.0.0.2:53: \(String(cString: strerror(errno)))") }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: wrapper[0])
        probe.arguments = Array(wrapper.dropFirst()) + ["/bin/true"]
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { throw XCTSkip("this machine does not allow a private mount namespace") }
    }

    deinit {
        close(fd)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
