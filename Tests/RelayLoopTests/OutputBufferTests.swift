import RelayLoop
import XCTest

final class OutputBufferTests: XCTestCase {
    func testManyLinesGoOutInOneWrite() {
        var buffer = OutputBuffer(limit: 1024)
        for index in 0..<10 { buffer.append(Array("line \(index)\r\n".utf8)) }
        var writes: [Int] = []
        let outcome = buffer.write { bytes in writes.append(bytes.count); return bytes.count }
        XCTAssertEqual(outcome, .flushed)
        XCTAssertEqual(writes, [80])
        XCTAssertTrue(buffer.isEmpty)
    }

    func testPartialWritesKeepTheRestInOrder() {
        var buffer = OutputBuffer(limit: 1024)
        buffer.append(Array("abcdef".utf8))
        var received: [UInt8] = []
        // The socket takes two bytes, then would block.
        var budget = 2
        let first = buffer.write { bytes in
            guard budget > 0 else { return nil }
            let taken = min(budget, bytes.count)
            budget -= taken
            received += bytes.prefix(taken)
            return taken
        }
        XCTAssertEqual(first, .pending)
        XCTAssertEqual(buffer.count, 4)
        buffer.append(Array("gh".utf8))
        let second = buffer.write { bytes in received += bytes; return bytes.count }
        XCTAssertEqual(second, .flushed)
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "abcdefgh")
    }

    func testAppendPastTheSendQueueLimitIsRefused() {
        var buffer = OutputBuffer(limit: 10)
        XCTAssertTrue(buffer.append(Array("12345".utf8)))
        XCTAssertTrue(buffer.append(Array("67890".utf8)))
        XCTAssertFalse(buffer.append(Array("x".utf8)))
        XCTAssertEqual(buffer.count, 10)
    }

    func testWrittenBytesFreeRoomUnderTheLimit() {
        var buffer = OutputBuffer(limit: 10)
        buffer.append(Array("1234567890".utf8))
        var budget = 6
        _ = buffer.write { bytes in
            defer { budget = 0 }
            return budget == 0 ? nil : min(budget, bytes.count)
        }
        XCTAssertTrue(buffer.append(Array("abcdef".utf8)))
        var out: [UInt8] = []
        XCTAssertEqual(buffer.write { out += $0; return $0.count }, .flushed)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "7890abcdef")
    }

    func testAWriteErrorPropagates() {
        struct Broken: Error {}
        var buffer = OutputBuffer(limit: 10)
        buffer.append([1, 2, 3])
        XCTAssertThrowsError(try buffer.write { _ in throw Broken() })
    }

    /// An emptied buffer's storage is kept for the next lines (no growing from
    /// nothing again), within a bound; the loop gives them all back after a
    /// second without writes.
    func testAnEmptiedBufferIsReusedAndTheSparesAreBounded() throws {
        SpareBuffers.release()
        var buffer = OutputBuffer(limit: 1 << 20)
        XCTAssertTrue(buffer.append(Array(repeating: 65, count: 3000)))
        XCTAssertEqual(try buffer.write { $0.count }, .flushed)
        XCTAssertFalse(SpareBuffers.isEmpty, "kept")
        let held = SpareBuffers.heldBytes
        XCTAssertGreaterThanOrEqual(held, 3000)
        XCTAssertTrue(buffer.append([66, 10]))
        XCTAssertTrue(SpareBuffers.isEmpty, "taken back by the next line")

        var big = OutputBuffer(limit: 1 << 30)
        XCTAssertTrue(big.append(Array(repeating: 65, count: 100_000)))
        XCTAssertEqual(try big.write { $0.count }, .flushed)
        XCTAssertTrue(SpareBuffers.isEmpty, "a buffer past 64 KiB is freed, not kept")

        var many = (0..<600).map { _ in OutputBuffer(limit: 1 << 20) }
        for index in many.indices {
            XCTAssertTrue(many[index].append(Array(repeating: 65, count: 4000)))
            XCTAssertEqual(try many[index].write { $0.count }, .flushed)
        }
        XCTAssertLessThanOrEqual(SpareBuffers.heldBytes, 1 << 20, "1 MiB at most")
        SpareBuffers.release()
    }

    func testTheLoopGivesTheSparesBackAfterASecondWithoutWrites() throws {
        final class Writer: Flushable {
            var buffer = OutputBuffer(limit: 1 << 20)
            func flush() { _ = try? buffer.write { $0.count } }
        }
        SpareBuffers.release()
        var now = ContinuousClock.now
        let loop = EventLoop(selector: try SelectorKind.epoll.make(), clock: { now })
        let writer = Writer()
        XCTAssertTrue(writer.buffer.append(Array(repeating: 65, count: 2000)))
        loop.flushSoon(writer)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertFalse(SpareBuffers.isEmpty)
        now += .milliseconds(900)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertFalse(SpareBuffers.isEmpty, "kept within the second")
        now += .milliseconds(100)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertTrue(SpareBuffers.isEmpty, "given back")
    }
}
