import Foundation
import Glibc
import RelayLoop
import RelayTLS
import XCTest

/// A blocking loopback TCP client that reads lines with a deadline; over TLS
/// when given a `TLSContext` (then the socket is non-blocking underneath and
/// every wait is a poll, since TLS may hold decrypted bytes the socket does not show).
final class TestClient {
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false
    private(set) var tls: TLSStream?

    convenience init(port: Int, host: String = "127.0.0.1", tls context: TLSContext, name: String = "localhost") throws {
        try self.init(port: port, host: host)
        let stream = try TLSStream(context: context, fd: fd, role: .client(host: name))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = Date().addingTimeInterval(5)
        while true {
            switch try stream.handshake() {
            case .done: tls = stream; return
            case .wantRead: wait(POLLIN, until: deadline)
            case .wantWrite: wait(POLLOUT, until: deadline)
            }
            guard Date() < deadline else { throw POSIXError(.ETIMEDOUT) }
        }
    }

    private func wait(_ events: Int32, until deadline: Date) {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(events), revents: 0)
        _ = poll(&pollfd, 1, Int32(max(deadline.timeIntervalSinceNow, 0) * 1000) + 1)
    }

    /// Connects to a numeric loopback address (127.0.0.1 or ::1), blocking.
    init(port: Int, host: String = "127.0.0.1", receiveBuffer: Int32? = nil) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list?.pointee else {
            throw POSIXError(.EINVAL)
        }
        defer { freeaddrinfo(list) }
        fd = socket(info.ai_family, info.ai_socktype, 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        guard connect(fd, info.ai_addr, info.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Closes our end (a FIN); nothing is read after.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func send(_ text: String) {
        sendBytes(Array(text.utf8))
    }

    func sendLine(_ text: String) {
        send(text + "\r\n")
    }

    func sendBytes(_ bytes: [UInt8]) {
        var offset = 0
        if let tls {
            let deadline = Date().addingTimeInterval(10)
            while offset < bytes.count && Date() < deadline {
                let result = try? bytes[offset...].withUnsafeBytes { try tls.write($0) }
                switch result {
                case .done(let count)?: offset += count
                case .wantRead?: wait(POLLIN, until: deadline)
                case .wantWrite?: wait(POLLOUT, until: deadline)
                case nil: return
                }
            }
            return
        }
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// The next line (without CRLF), or nil at the deadline or EOF.
    func readLine(timeout: TimeInterval = 5) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 || closedByPeer { return nil }
            if let tls {
                var chunk = [UInt8](repeating: 0, count: 65536)
                switch (try? chunk.withUnsafeMutableBytes { try tls.read(into: $0) }) {
                case .done(let count)? where count > 0: buffer += chunk[..<count]
                case .wantRead?: wait(POLLIN, until: deadline)
                case .wantWrite?: wait(POLLOUT, until: deadline)
                default: closedByPeer = true
                }
                continue
            }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { closedByPeer = true; continue }
            buffer += chunk[..<count]
        }
    }

    /// Reads lines until one satisfies `predicate`; returns it (nil on timeout).
    @discardableResult
    func waitFor(timeout: TimeInterval = 5, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while let line = readLine(timeout: max(deadline.timeIntervalSinceNow, 0)) {
            if predicate(line) { return line }
        }
        return nil
    }

    @discardableResult
    func waitFor(_ expected: String, timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let found = waitFor(timeout: timeout) { $0 == expected } != nil
        XCTAssertTrue(found, "never received \(expected.debugDescription)", file: file, line: line)
        return found
    }

    /// Every line that arrives within `quiet` seconds of the previous one.
    func drain(quiet: TimeInterval = 0.3) -> [String] {
        var lines: [String] = []
        while let line = readLine(timeout: quiet) { lines.append(line) }
        return lines
    }

    /// True once the server has closed the connection (within the timeout).
    func waitForClose(timeout: TimeInterval = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !closedByPeer && Date() < deadline {
            _ = readLine(timeout: max(deadline.timeIntervalSinceNow, 0.01))
        }
        return closedByPeer
    }

    /// Closes with a RST instead of a FIN (SO_LINGER 0): a client that vanished.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }
}

/// Certificates from scripts/tls/make-test-certs.sh, made once per test run:
/// `TestCertificates.path("server.pem")`.
enum TestCertificates {
    static let directory: String = {
        let dir = NSTemporaryDirectory() + "relay-e2e-tls-\(getpid())"
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repository + "/scripts/tls/make-test-certs.sh", dir]
        try? process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "make-test-certs.sh failed")
        return dir
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// A client context that trusts the test CA.
    static func trusting() throws -> TLSContext { try TLSContext.client(caFile: path("ca.pem")) }
}

/// A plain (nc-style) user: sends a first line at once so it need not wait for
/// the dialect timeout, then takes a nick.
func plainUser(_ server: RelayProcess, nick: String, file: StaticString = #filePath, line: UInt = #line) throws -> TestClient {
    let client = try TestClient(port: server.port)
    client.sendLine("/nick \(nick)")
    client.waitFor("-!- You are now known as \(nick)", file: file, line: line)
    return client
}

/// A registered IRC client in `room` (its NAMES reply read).
func ircUser(port: Int, nick: String, room: String, file: StaticString = #filePath, line: UInt = #line) throws -> TestClient {
    let client = try TestClient(port: port)
    client.sendLine("NICK \(nick)")
    client.sendLine("USER \(nick) 0 * :\(nick)")
    client.sendLine("JOIN \(room)")
    XCTAssertNotNil(client.waitFor { $0.contains(" 366 \(nick) ") }, "\(nick) joined \(room)", file: file, line: line)
    return client
}

/// What a bridge test bridges: two `relay serve`s, ana in #dev on `a`, bob in
/// #dev on `b`. `stop()` both servers when done.
struct TwoRooms {
    let a: RelayProcess
    let b: RelayProcess
    let ana: TestClient
    let bob: TestClient

    init() throws {
        a = try RelayProcess.serve()
        b = try RelayProcess.serve()
        ana = try plainUser(a, nick: "ana")
        bob = try plainUser(b, nick: "bob")
        for client in [ana, bob] { client.sendLine("/join #dev") }
    }

    /// The two rooms as bridge endpoints.
    var urls: [String] { ["irc://127.0.0.1:\(a.port)/#dev", "irc://127.0.0.1:\(b.port)/#dev"] }

    func stop() {
        a.stop()
        b.stop()
    }
}
