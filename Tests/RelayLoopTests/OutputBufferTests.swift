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
}
