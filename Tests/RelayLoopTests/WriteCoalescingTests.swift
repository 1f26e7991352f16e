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
