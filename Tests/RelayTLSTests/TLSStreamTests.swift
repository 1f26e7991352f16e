import Glibc
import RelayLoop
@testable import RelayTLS
import XCTest

/// Two `Connection`s over TLS in one loop, at the two ends of a socketpair:
/// handshake, verification, lines both ways, bulk, and ends with and without
/// close_notify. Certificates come from scripts/tls/make-test-certs.sh.
final class TLSStreamTests: XCTestCase {
    private final class Recorder: ConnectionDelegate {
        var lines: [String] = []
        var bytes = 0
        var closed: [String?] = []
        var secured = false
        func connection(_ connection: Connection, received frame: LineFramer.Frame) {
            if case .line(let line) = frame {
                bytes += line.count
                if lines.count < 100_000 { lines.append(String(decoding: line, as: UTF8.self)) }
            }
        }
        func connectionClosed(_ connection: Connection, reason: String?) { closed.append(reason) }
        func connectionSecured(_ connection: Connection) { secured = true }
    }

    private struct Ends {
        let loop: EventLoop
        let client: Connection, server: Connection
        let clientSide: Recorder, serverSide: Recorder
        let clientStream: TLSStream
    }

    static let certificates: String = {
        let dir = NSTemporaryDirectoryPath() + "/relay-tls-\(getpid())"
        let script = URLPath.repository + "/scripts/tls/make-test-certs.sh"
        precondition(system("bash '\(script)' '\(dir)'") == 0, "make-test-certs.sh failed")
        return dir
    }()

    private func ends(client clientTLS: TLSContext, host: String = "localhost",
                      server certificate: String = "server", limit: Int = 1 << 20) throws -> Ends {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        try setNonBlocking(fds[0])
        try setNonBlocking(fds[1])
        let loop = try EventLoop.makeDefault()
        let dir = Self.certificates
        let serverTLS = try TLSContext.server(certificate: "\(dir)/\(certificate).pem", key: "\(dir)/\(certificate).key")
        let clientStream = try TLSStream(context: clientTLS, fd: fds[0], role: .client(host: host))
        let client = Connection(fd: fds[0], tag: 0, loop: loop, maxLineLength: 1 << 16, sendQueueLimit: limit,
                                transport: clientStream)
        let server = Connection(fd: fds[1], tag: 1, loop: loop, maxLineLength: 1 << 16, sendQueueLimit: limit,
                                transport: try TLSStream(context: serverTLS, fd: fds[1], role: .server))
        let clientSide = Recorder(), serverSide = Recorder()
        client.delegate = clientSide
        server.delegate = serverSide
        try server.start()
        try client.start()
        return Ends(loop: loop, client: client, server: server, clientSide: clientSide, serverSide: serverSide,
                    clientStream: clientStream)
    }

    private func turn(_ loop: EventLoop, within seconds: Double = 5, until done: () -> Bool) throws {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !done() && ContinuousClock.now < end { try loop.runOnce(maximumWait: .milliseconds(20)) }
    }

    private var trusting: TLSContext {
        get throws { try TLSContext.client(caFile: Self.certificates + "/ca.pem") }
    }

    func testAVerifiedHandshakeCarriesLinesBothWaysAndLinesSentBeforeItWait() throws {
        let e = try ends(client: trusting)
        e.client.send(Array("NICK ana\r\n".utf8))  // before the handshake: waits for it
        try turn(e.loop) { e.serverSide.lines.count == 1 }
        XCTAssertTrue(e.clientSide.secured)
        XCTAssertEqual(e.serverSide.lines, ["NICK ana"])
        e.server.send(Array(":relay 001 ana :Welcome\r\n".utf8))
        try turn(e.loop) { e.clientSide.lines.count == 1 }
        XCTAssertEqual(e.clientSide.lines, [":relay 001 ana :Welcome"])
        XCTAssertNil(e.clientStream.verificationProblem)
        XCTAssertTrue(e.clientStream.summary.hasPrefix("TLSv1.3"), e.clientStream.summary)
    }

    func testAnIPLiteralIsCheckedAgainstTheCertificatesAddresses() throws {
        let e = try ends(client: trusting, host: "127.0.0.1")
        e.client.send(Array("PING x\r\n".utf8))
        try turn(e.loop) { e.serverSide.lines.count == 1 }
        XCTAssertEqual(e.serverSide.lines, ["PING x"])
    }

    func testAWrongNameFailsTheHandshakeNamingTheCause() throws {
        let e = try ends(client: trusting, server: "wrong")
        try turn(e.loop) { !e.clientSide.closed.isEmpty }
        XCTAssertEqual(e.clientSide.closed, ["certificate verify failed: hostname mismatch"])
        XCTAssertFalse(e.clientSide.secured)
    }

    func testAnUntrustedIssuerFailsTheHandshake() throws {
        let e = try ends(client: trusting, server: "self")
        try turn(e.loop) { !e.clientSide.closed.isEmpty }
        XCTAssertEqual(e.clientSide.closed.count, 1)
        XCTAssertTrue(e.clientSide.closed[0]?.hasPrefix("certificate verify failed: self") == true, "\(e.clientSide.closed)")
    }

    func testInsecureConnectsAndKnowsWhatWouldHaveFailed() throws {
        let e = try ends(client: TLSContext.client(caFile: Self.certificates + "/ca.pem", insecure: true), server: "wrong")
        e.client.send(Array("PING x\r\n".utf8))
        try turn(e.loop) { e.serverSide.lines.count == 1 }
        XCTAssertEqual(e.serverSide.lines, ["PING x"])
        XCTAssertEqual(e.clientStream.verificationProblem, "hostname mismatch")
    }

    func testEightMegabytesArriveIntactAndInOrder() throws {
        let e = try ends(client: trusting, limit: 16 << 20)
        let body = String(repeating: "0123456789abcdef", count: 500)
        let total = 8 << 20
        var sent = 0, index = 0
        while sent < total {
            let line = Array("\(index) \(body)\r\n".utf8)
            e.server.send(line)
            sent += line.count
            index += 1
        }
        try turn(e.loop, within: 30) { e.clientSide.lines.count == index || !e.clientSide.closed.isEmpty }
        XCTAssertEqual(e.clientSide.closed, [])
        XCTAssertEqual(e.clientSide.lines.count, index)
        XCTAssertEqual(e.clientSide.lines.first, "0 \(body)")
        XCTAssertEqual(e.clientSide.lines.last, "\(index - 1) \(body)")
        XCTAssertTrue(e.clientSide.lines.enumerated().allSatisfy { $0.element.hasPrefix("\($0.offset) ") })
    }

    func testAPeerClosingWithoutCloseNotifyIsACleanEnd() throws {
        let e = try ends(client: trusting)
        e.client.send(Array("hello\r\n".utf8))
        try turn(e.loop) { e.serverSide.lines.count == 1 }
        // The client's socket goes away with no TLS goodbye.
        shutdown(e.client.fd, Int32(SHUT_RDWR))
        try turn(e.loop) { !e.serverSide.closed.isEmpty }
        XCTAssertEqual(e.serverSide.closed, ["Remote host closed the connection"])
        XCTAssertNil(e.server.transportFailure)
    }

    func testACloseSendsCloseNotifyAfterTheLastLine() throws {
        let e = try ends(client: trusting)
        try turn(e.loop) { e.clientSide.secured }
        e.server.send(Array("ERROR :bye\r\n".utf8))
        e.server.close()
        try turn(e.loop) { !e.clientSide.closed.isEmpty && e.server.state == .closed }
        XCTAssertEqual(e.clientSide.lines, ["ERROR :bye"])
        XCTAssertEqual(e.clientSide.closed, ["Remote host closed the connection"])
        XCTAssertEqual(e.server.state, .closed)
    }

    func testBadFilesAreNamed() {
        XCTAssertThrowsError(try TLSContext.server(certificate: "/nonexistent.pem", key: "/nonexistent.key")) { error in
            XCTAssertEqual("\(error)", "/nonexistent.pem: No such file or directory")
        }
        let dir = Self.certificates
        XCTAssertThrowsError(try TLSContext.server(certificate: "\(dir)/server.pem", key: "\(dir)/wrong.key")) { error in
            XCTAssertEqual("\(error)", "\(dir)/wrong.key: the key does not match the certificate \(dir)/server.pem")
        }
        XCTAssertThrowsError(try TLSContext.client(caFile: "/nonexistent-ca.pem")) { error in
            XCTAssertEqual("\(error)", "/nonexistent-ca.pem: No such file or directory")
        }
        XCTAssertThrowsError(try TLSContext.server(certificate: "\(dir)/ca.key", key: "\(dir)/ca.key")) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(dir)/ca.key: not a PEM certificate"), "\(error)")
        }
    }
}

/// Paths without Foundation.
enum URLPath {
    static let repository: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()
}

func NSTemporaryDirectoryPath() -> String {
    getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
}
