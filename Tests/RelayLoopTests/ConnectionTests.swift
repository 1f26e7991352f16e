import Glibc
@testable import RelayLoop
import XCTest

/// The `Connection` state machine, with the far end of a socketpair as the peer:
/// open → draining → lingering → closed, the linger bound, SendQ, half-close.
final class ConnectionTests: XCTestCase {
    private final class Recorder: ConnectionDelegate {
        var lines: [String] = []
        var closed: [String?] = []
        var keepWriting = false
        func connection(_ connection: Connection, received frame: LineFramer.Frame) {
            if case .line(let bytes) = frame { lines.append(String(decoding: bytes, as: UTF8.self)) }
        }
        func connectionClosed(_ connection: Connection, reason: String?) { closed.append(reason) }
        func connectionReadEnded(_ connection: Connection) -> Bool { keepWriting }
    }

    private func pair(limit: Int = 1 << 20, linger: Duration = .seconds(2), linesPerTurn: Int = .max,
                      clock: @escaping () -> ContinuousClock.Instant = { .now }) throws
        -> (EventLoop, Connection, Recorder, Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        try setNonBlocking(fds[0])
        let loop = EventLoop(selector: try SelectorKind.epoll.make(), clock: clock)
        let connection = Connection(fd: fds[0], tag: 1, loop: loop, maxLineLength: 512, sendQueueLimit: limit, lingerTimeout: linger,
                                    maxLinesPerTurn: linesPerTurn)
        let recorder = Recorder()
        connection.delegate = recorder
        try connection.start()
        return (loop, connection, recorder, fds[1])
    }

    private func turn(_ loop: EventLoop, until done: () -> Bool, within seconds: Double = 3) throws {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !done() && ContinuousClock.now < end { try loop.runOnce(maximumWait: .milliseconds(20)) }
    }

    private func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            out += buffer[0..<count]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func testWhilePausedNothingIsReadAndResumingDeliversEveryLineInOrder() throws {
        let (loop, connection, recorder, peer) = try pair()
        defer { close(peer) }
        connection.pauseReading()
        XCTAssertEqual(write(peer, "one\r\ntwo\r\n", 10), 10)
        for _ in 0..<5 { try loop.runOnce(maximumWait: .milliseconds(20)) }
        XCTAssertEqual(recorder.lines, [], "paused: the lines wait in the kernel")
        connection.send(Array("still writing\r\n".utf8))
        var written = [UInt8](repeating: 0, count: 64)
        var count = 0
        try turn(loop) {
            count = recv(peer, &written, written.count, Int32(MSG_DONTWAIT))
            return count > 0
        }
        XCTAssertEqual(String(decoding: written[0..<max(count, 0)], as: UTF8.self), "still writing\r\n", "writing goes on")
        connection.resumeReading()
        try turn(loop) { recorder.lines.count == 2 }
        XCTAssertEqual(recorder.lines, ["one", "two"])
        XCTAssertEqual(connection.state, .open)
    }

    func testOneTurnHandsOutAtMostItsLinesAndTheRestFollowInOrderThenTheEnd() throws {
        let (loop, connection, recorder, peer) = try pair(linesPerTurn: 100)
        let text = (1...1000).map { "\($0)\r\n" }.joined()
        XCTAssertEqual(write(peer, text, text.utf8.count), text.utf8.count)
        close(peer)
        try loop.runOnce(maximumWait: .milliseconds(100))
        // A budget when the read arrives, and one more from the timer that carries the rest.
        XCTAssertLessThanOrEqual(recorder.lines.count, 200, "one turn, bounded work")
        XCTAssertGreaterThanOrEqual(recorder.lines.count, 100)
        try turn(loop) { connection.state == .closed }
        XCTAssertEqual(recorder.lines, (1...1000).map(String.init), "all of them, in order, before the end")
        XCTAssertEqual(recorder.closed, ["Remote host closed the connection"])
    }

    func testAPausedOwnerGetsNoHeldLinesUntilItResumes() throws {
        let (loop, connection, recorder, peer) = try pair(linesPerTurn: 2)
        defer { close(peer) }
        let text = (1...20).map { "\($0)\n" }.joined()
        XCTAssertEqual(write(peer, text, text.utf8.count), text.utf8.count)
        try turn(loop) { recorder.lines.count >= 2 }
        connection.pauseReading()
        let seen = recorder.lines.count
        XCTAssertLessThan(seen, 20)
        for _ in 0..<5 { try loop.runOnce(maximumWait: .milliseconds(10)) }
        XCTAssertEqual(recorder.lines.count, seen, "paused: held lines wait too")
        connection.resumeReading()
        try turn(loop) { recorder.lines.count == 20 }
        XCTAssertEqual(recorder.lines, (1...20).map(String.init))
    }

    func testAPeerThatHangsUpWhilePausedIsStillNoticed() throws {
        let (loop, connection, recorder, peer) = try pair()
        connection.pauseReading()
        close(peer)
        connection.send(Array("anyone?\r\n".utf8))
        try turn(loop) { connection.state == .closed }
        XCTAssertEqual(connection.state, .closed)
        XCTAssertEqual(recorder.closed.count, 1)
    }

    func testACloseWritesWhatIsQueuedShutsDownThenWaitsForThePeer() throws {
        let (loop, connection, recorder, peer) = try pair()
        defer { close(peer) }
        connection.send(Array("last words\r\n".utf8))
        connection.close()
        XCTAssertEqual(connection.state, .draining)
        try turn(loop) { connection.state == .lingering }
        XCTAssertEqual(connection.state, .lingering, "all written, our side shut down")
        XCTAssertEqual(readAll(peer), "last words\r\n", "then EOF: the peer read everything")
        shutdown(peer, Int32(SHUT_WR))
        try turn(loop) { connection.state == .closed }
        XCTAssertEqual(connection.state, .closed)
        XCTAssertEqual(recorder.closed, [nil], "a close we asked for needs no reason")
    }

    func testLingeringIsBoundedWhenThePeerNeverCloses() throws {
        var now = ContinuousClock.now
        let (loop, connection, recorder, peer) = try pair(linger: .seconds(2), clock: { now })
        defer { close(peer) }
        connection.close()
        for _ in 0..<3 { try loop.runOnce(maximumWait: .milliseconds(10)) }
        XCTAssertEqual(connection.state, .lingering, "the peer never closes: still waiting")
        now += .seconds(2)
        try loop.runOnce(maximumWait: .milliseconds(10))
        XCTAssertEqual(connection.state, .closed, "the bound, by the loop's clock")
        XCTAssertEqual(recorder.closed, [nil])
    }

    func testAPeerThatNeverReadsIsDroppedWithSendQExceeded() throws {
        let (loop, connection, recorder, peer) = try pair(limit: 4096)
        defer { close(peer) }
        let line = Array((String(repeating: "x", count: 1000) + "\r\n").utf8)
        for _ in 0..<2000 where connection.state == .open { connection.send(line) }
        try turn(loop) { !recorder.closed.isEmpty }
        XCTAssertEqual(recorder.closed, ["SendQ exceeded"])
    }

    func testAPeerHangingUpIsReportedWithItsLastLine() throws {
        let (loop, connection, recorder, peer) = try pair()
        _ = "unterminated".withCString { write(peer, $0, 12) }
        close(peer)
        try turn(loop) { !recorder.closed.isEmpty }
        XCTAssertEqual(recorder.lines, ["unterminated"])
        XCTAssertEqual(recorder.closed, ["Remote host closed the connection"])
        XCTAssertEqual(connection.state, .closed)
    }

    func testAHalfClosedPeerStillGetsItsAnswersWhenTheOwnerAsks() throws {
        let (loop, connection, recorder, peer) = try pair()
        defer { close(peer) }
        recorder.keepWriting = true
        _ = "question\n".withCString { write(peer, $0, 9) }
        shutdown(peer, Int32(SHUT_WR))
        try turn(loop) { recorder.lines == ["question"] }
        try turn(loop, until: { false }, within: 0.1)
        XCTAssertEqual(connection.state, .open, "still open for writing after the peer's EOF")
        connection.send(Array("answer\n".utf8))
        connection.close()
        try turn(loop) { connection.state != .open && connection.state != .draining }
        XCTAssertEqual(readAll(peer), "answer\n")
    }

    /// A transport whose handshake is done and whose first read has a line.
    private final class ReadyTransport: StreamTransport {
        var pending = Array("NICK ana\r\n".utf8)
        func handshake() throws -> TransportResult { .done(0) }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> TransportResult {
            guard !pending.isEmpty else { return .wantRead }
            let count = pending.count
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: pending, count: count))
            pending = []
            return .done(count)
        }
        func write(_ bytes: UnsafeRawBufferPointer) throws -> TransportResult { .done(bytes.count) }
        var hasBufferedInput: Bool { false }
        func shutdown() {}
    }

    /// The server admits a connection (start, then registers it with the core):
    /// lines that were already waiting must not reach the delegate inside start(),
    /// or the core drops them as coming from nobody. (Seen: TLS clients taken for
    /// silent people, when the whole handshake and their first lines were read there.)
    func testStartDeliversNothingBeforeItReturnsEvenWhenATransportHasLinesReady() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[1]) }
        try setNonBlocking(fds[0])
        let loop = try EventLoop.makeDefault()
        let connection = Connection(fd: fds[0], tag: 1, loop: loop, maxLineLength: 512, sendQueueLimit: 4096,
                                    transport: ReadyTransport())
        let recorder = Recorder()
        connection.delegate = recorder
        try connection.start()
        XCTAssertEqual(recorder.lines, [], "nothing before start() returns")
        try turn(loop) { !recorder.lines.isEmpty }
        XCTAssertEqual(recorder.lines, ["NICK ana"])
        XCTAssertTrue(connection.isSecured)
    }
}
