import Glibc
@testable import RelayLoop
import XCTest

/// Adaptive write coalescing: held only soon after a busy flush, never longer
/// than the window, never when off.
final class WriteCoalescingTests: XCTestCase {
    private let start = ContinuousClock.now

    func testQuietOutputIsWrittenAtOnce() {
        var policy = WriteCoalescing(window: .milliseconds(1), busyWriters: 32)
        XCTAssertNil(policy.holdUntil(now: start), "nothing flushed yet")
        policy.flushed(writers: 31, at: start)
        XCTAssertNil(policy.holdUntil(now: start + .microseconds(100)), "31 writers is not busy")
    }

    func testOutputSoonAfterABusyFlushWaitsUntilTheWindowEnds() {
        var policy = WriteCoalescing(window: .milliseconds(1), busyWriters: 32)
        policy.flushed(writers: 200, at: start)
        XCTAssertEqual(policy.holdUntil(now: start + .microseconds(250)), start + .milliseconds(1))
        XCTAssertEqual(policy.holdUntil(now: start + .microseconds(999)), start + .milliseconds(1))
        XCTAssertNil(policy.holdUntil(now: start + .milliseconds(1)), "the window is over: at once")
        XCTAssertNil(policy.holdUntil(now: start + .seconds(5)), "the room went quiet")
    }

    func testAQuietFlushEndsTheHolding() {
        var policy = WriteCoalescing(window: .milliseconds(1), busyWriters: 32)
        policy.flushed(writers: 200, at: start)
        policy.flushed(writers: 3, at: start + .milliseconds(2))
        XCTAssertNil(policy.holdUntil(now: start + .microseconds(2100)))
    }

    func testAZeroWindowIsOff() {
        var policy = WriteCoalescing.off
        policy.flushed(writers: 10_000, at: start)
        XCTAssertNil(policy.holdUntil(now: start))
        XCTAssertNil(WriteCoalescing(window: .milliseconds(-3)).holdUntil(now: start), "a negative window is off too")
    }

    private final class Writer: Flushable {
        var flushes = 0
        func flush() { flushes += 1 }
    }

    /// The loop with a fake clock: after a flush to 40 writers, what is queued
    /// 300 µs later waits until 1 ms after that flush, then leaves in one flush.
    func testTheLoopHoldsOutputAfterABusyFlushAndFlushesAtTheWindowsEnd() throws {
        var now = start
        let loop = EventLoop(selector: try SelectorKind.epoll.make(), clock: { now })
        loop.coalescing = WriteCoalescing(window: .milliseconds(1), busyWriters: 32)
        let writers = (0..<40).map { _ in Writer() }
        for writer in writers { loop.flushSoon(writer) }
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(writers.map(\.flushes), Array(repeating: 1, count: 40), "the first busy flush is not held")

        now += .microseconds(300)
        loop.flushSoon(writers[0])
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(writers[0].flushes, 1, "held: within the window of a busy flush")
        now += .microseconds(699)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(writers[0].flushes, 1, "still held at 999 µs")
        now += .microseconds(1)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(writers[0].flushes, 2, "written once the window is over")

        now += .microseconds(100)
        loop.flushSoon(writers[1])
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(writers[1].flushes, 2, "that flush wrote to one writer: quiet, so the next is at once")
    }

    /// Holding never makes the loop sleep past the window: the wait is cut to it.
    func testAHeldFlushBoundsTheWait() throws {
        let loop = EventLoop(selector: try SelectorKind.epoll.make())
        loop.coalescing = WriteCoalescing(window: .milliseconds(20), busyWriters: 2)
        let a = Writer(), b = Writer()
        loop.flushSoon(a)
        loop.flushSoon(b)
        try loop.runOnce(maximumWait: .zero)
        loop.flushSoon(a)
        let began = ContinuousClock.now
        try loop.runOnce(maximumWait: .seconds(5))  // held: waits for the window's end, not 5 s
        XCTAssertEqual(a.flushes, 1)
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(a.flushes, 2)
        let waited = ContinuousClock.now - began
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(19))
        XCTAssertLessThan(waited, .seconds(2), "woke for the held flush, with no timer and no event")
    }

    private final class Reader: ReadinessHandler {
        var reads = 0
        func handle(_ event: ReadyEvent) {
            var sink = [UInt8](repeating: 0, count: 4096)
            if read(event.fd, &sink, sink.count) > 0 { reads += 1 }
        }
    }

    /// Input waits for the window's end as output does: lines that come within
    /// it are read together once it is over, one wake-up rather than one each.
    /// Without a busy flush, input is read as it comes. Timers keep their time.
    func testInputWaitsForTheWindowsEndAfterABusyFlush() throws {
        for kind in SelectorKind.allCases {
            var now = start
            let loop = EventLoop(selector: try kind.make(), clock: { now })
            loop.coalescing = WriteCoalescing(window: .milliseconds(1), busyWriters: 32)
            var fds: [Int32] = [0, 0]
            XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
            defer { close(fds[0]); close(fds[1]) }
            try setNonBlocking(fds[0])
            let reader = Reader()
            try loop.watch(fds[0], interest: .read, handler: reader)

            XCTAssertEqual(write(fds[1], "quiet\n", 6), 6)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertEqual(reader.reads, 1, "\(kind): no busy flush: read at once")

            for _ in 0..<40 { loop.flushSoon(Writer()) }
            try loop.runOnce(maximumWait: .zero)
            var fired = false
            loop.schedule(after: .microseconds(500)) { fired = true }
            now += .microseconds(300)
            XCTAssertEqual(write(fds[1], "one\n", 4), 4)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertEqual(reader.reads, 1, "\(kind): within the window: not read")
            now += .microseconds(200)
            XCTAssertEqual(write(fds[1], "two\n", 4), 4)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertTrue(fired, "\(kind): a timer inside the window runs on time")
            XCTAssertEqual(reader.reads, 1, "\(kind): the timer's turn leaves input waiting")
            now += .microseconds(500)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertEqual(reader.reads, 2, "\(kind): the window is over: both lines in one read")
            loop.unwatch(fds[0])
        }
    }

    /// Stopping flushes what is held: nothing queued is lost at exit.
    func testStoppingWritesWhatIsHeld() throws {
        let loop = EventLoop(selector: try SelectorKind.poll.make())
        loop.coalescing = WriteCoalescing(window: .seconds(60), busyWriters: 1)
        let writer = Writer()
        loop.flushSoon(writer)
        try loop.runOnce(maximumWait: .zero)
        loop.flushSoon(writer)
        loop.schedule(after: .zero) { loop.stop() }
        try loop.run()
        XCTAssertEqual(writer.flushes, 2)
    }
}
