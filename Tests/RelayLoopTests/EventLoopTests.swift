import Glibc
@testable import RelayLoop
import XCTest

/// The loop's contract, checked on every backend.
final class EventLoopTests: XCTestCase {
    private final class Recorder: ReadinessHandler {
        var events: [ReadyEvent] = []
        var onEvent: ((ReadyEvent) -> Void)?
        func handle(_ event: ReadyEvent) {
            events.append(event)
            onEvent?(event)
        }
    }

    private func forEachBackend(_ body: (EventLoop, String) throws -> Void) throws {
        for kind in SelectorKind.allCases {
            try body(EventLoop(selector: try kind.make()), kind.rawValue)
        }
    }

    private func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        try? setNonBlocking(fds[0])
        try? setNonBlocking(fds[1])
        return (fds[0], fds[1])
    }

    func testTimersFireInDeadlineOrderNotSchedulingOrder() throws {
        try forEachBackend { loop, name in
            var fired: [Int] = []
            loop.schedule(after: .milliseconds(30)) { fired.append(3) }
            loop.schedule(after: .milliseconds(10)) { fired.append(1) }
            loop.schedule(after: .milliseconds(20)) { fired.append(2) }
            let end = ContinuousClock.now + .seconds(2)
            while fired.count < 3 && ContinuousClock.now < end { try loop.runOnce(maximumWait: .milliseconds(50)) }
            XCTAssertEqual(fired, [1, 2, 3], name)
        }
    }

    /// A test's clock: timers an hour away fire on the next turn once it is
    /// moved past them, and nothing sleeps.
    func testAFakeClockFiresTimersWithoutWaiting() throws {
        var now = ContinuousClock.now
        let loop = EventLoop(selector: try SelectorKind.epoll.make(), clock: { now })
        var fired: [Int] = []
        loop.schedule(after: .seconds(3600)) { fired.append(2) }
        loop.schedule(after: .seconds(60)) { fired.append(1) }
        let started = ContinuousClock.now
        try loop.runOnce(maximumWait: .zero)
        XCTAssertEqual(fired, [])
        now += .seconds(60)
        try loop.runOnce(maximumWait: .seconds(5))
        XCTAssertEqual(fired, [1])
        now += .seconds(3600)
        try loop.runOnce(maximumWait: .seconds(5))
        XCTAssertEqual(fired, [1, 2])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "no turn waited")
    }

    func testACancelledTimerNeverFires() throws {
        try forEachBackend { loop, name in
            var fired = false
            let id = loop.schedule(after: .milliseconds(5)) { fired = true }
            loop.cancel(id)
            try loop.runOnce(maximumWait: .milliseconds(30))
            try loop.runOnce(maximumWait: .milliseconds(30))
            XCTAssertFalse(fired, name)
        }
    }

    func testATimerWakesAnOtherwiseIdleWaitWithoutBeingEarly() throws {
        try forEachBackend { loop, name in
            let start = ContinuousClock.now
            var firedAt: ContinuousClock.Instant?
            loop.schedule(after: .milliseconds(40)) { firedAt = .now }
            while firedAt == nil { try loop.runOnce() }
            XCTAssertGreaterThanOrEqual(firedAt! - start, .milliseconds(40), name)
        }
    }

    func testAReadableSocketIsReportedAndAWritableOneOnlyWhenAsked() throws {
        try forEachBackend { loop, name in
            let (a, b) = socketPair()
            defer { close(a); close(b) }
            let recorder = Recorder()
            try loop.watch(a, interest: .read, handler: recorder)
            try loop.runOnce(maximumWait: .milliseconds(20))
            XCTAssertEqual(recorder.events, [], "\(name): nothing to read yet")
            XCTAssertEqual(write(b, "x", 1), 1)
            try loop.runOnce(maximumWait: .milliseconds(200))
            XCTAssertEqual(recorder.events, [ReadyEvent(fd: a, readable: true, writable: false)], name)
            recorder.events = []
            var byte: UInt8 = 0
            _ = read(a, &byte, 1)
            try loop.setInterest(a, [.read, .write])
            try loop.runOnce(maximumWait: .milliseconds(200))
            XCTAssertEqual(recorder.events, [ReadyEvent(fd: a, readable: false, writable: true)], name)
            loop.unwatch(a)
        }
    }

    func testHangupIsReportedAsReadableSoTheReadPathFindsEOF() throws {
        try forEachBackend { loop, name in
            let (a, b) = socketPair()
            defer { close(a) }
            let recorder = Recorder()
            try loop.watch(a, interest: .read, handler: recorder)
            close(b)
            try loop.runOnce(maximumWait: .milliseconds(200))
            XCTAssertEqual(recorder.events.first?.readable, true, name)
            var byte: UInt8 = 0
            XCTAssertEqual(read(a, &byte, 1), 0, "\(name): EOF")
            loop.unwatch(a)
        }
    }

    func testAnUnwatchedDescriptorIsNotDispatchedLaterInTheSameTurn() throws {
        try forEachBackend { loop, name in
            let (a1, b1) = socketPair()
            let (a2, b2) = socketPair()
            defer { [a1, b1, a2, b2].forEach { close($0) } }
            let first = Recorder(), second = Recorder()
            try loop.watch(a1, interest: .read, handler: first)
            try loop.watch(a2, interest: .read, handler: second)
            // Whichever runs first unwatches the other.
            first.onEvent = { [unowned loop] _ in loop.unwatch(a2) }
            second.onEvent = { [unowned loop] _ in loop.unwatch(a1) }
            _ = write(b1, "x", 1)
            _ = write(b2, "x", 1)
            try loop.runOnce(maximumWait: .milliseconds(200))
            XCTAssertEqual(first.events.count + second.events.count, 1, name)
        }
    }

    func testARegularFileIsAlwaysReadable() throws {
        try forEachBackend { loop, name in
            let path = NSTemporaryDirectory() + "relay-loop-\(getpid())-\(name)"
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
            defer { close(fd); unlink(path) }
            let recorder = Recorder()
            try loop.watch(fd, interest: .read, handler: recorder)
            try loop.runOnce(maximumWait: .milliseconds(500))
            XCTAssertEqual(recorder.events.first?.readable, true, name)
            loop.unwatch(fd)
        }
    }

    func testASignalArrivesAsALoopEvent() throws {
        try forEachBackend { loop, name in
            var received: [Int32] = []
            try loop.onSignal(SIGUSR1) { received.append($0) }
            raise(SIGUSR1)
            let end = ContinuousClock.now + .seconds(2)
            while received.isEmpty && ContinuousClock.now < end { try loop.runOnce(maximumWait: .milliseconds(50)) }
            XCTAssertEqual(received, [SIGUSR1], name)
        }
    }

    func testQueuedWritersAreFlushedOnceAtTheStartOfATurn() throws {
        final class Writer: Flushable {
            var flushes = 0
            func flush() { flushes += 1 }
        }
        try forEachBackend { loop, name in
            let writer = Writer()
            loop.flushSoon(writer)
            XCTAssertEqual(writer.flushes, 0, name)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertEqual(writer.flushes, 1, name)
            try loop.runOnce(maximumWait: .zero)
            XCTAssertEqual(writer.flushes, 1, name)
        }
    }

    func testAStopAskedForDuringAFlushEndsTheRunWithoutWaiting() throws {
        // A TLS handshake driven by a flush can fail at once (a fast server's
        // answer is already there); the client then stops the loop from inside
        // the flush. Waiting for events after that, with no timer, hung forever.
        final class Stopper: Flushable {
            unowned let loop: EventLoop
            init(loop: EventLoop) { self.loop = loop }
            func flush() { loop.stop() }
        }
        try forEachBackend { loop, name in
            let stopper = Stopper(loop: loop)
            loop.flushSoon(stopper)
            var rescued = false
            let rescue = loop.schedule(after: .seconds(2)) { rescued = true; loop.stop() }
            try loop.run()
            XCTAssertFalse(rescued, "\(name): the run waited for the next event after a stop")
            loop.cancel(rescue)
        }
    }

    func testWaitTimeoutsRoundUpSoAWakeUpIsNeverEarly() {
        XCTAssertEqual(EventLoop.milliseconds(rounding: .seconds(-1)), 0)
        XCTAssertEqual(EventLoop.milliseconds(rounding: .zero), 0)
        XCTAssertEqual(EventLoop.milliseconds(rounding: .microseconds(10)), 1, "never 0 while time remains: that would spin")
        XCTAssertEqual(EventLoop.milliseconds(rounding: .milliseconds(1)), 1)
        XCTAssertEqual(EventLoop.milliseconds(rounding: .microseconds(1500)), 2)
        XCTAssertEqual(EventLoop.milliseconds(rounding: .seconds(90)), 90_000)
        XCTAssertEqual(EventLoop.milliseconds(rounding: .seconds(10_000_000)), Int32.max, "clamped")
        XCTAssertEqual(EventLoop.milliseconds(rounding: nil), -1, "no limit")
    }

    /// epoll is asked to wait to the nanosecond (a 300 µs hold is not rounded
    /// up to a whole millisecond, as epoll_wait and poll would).
    func testEpollIsGivenTimeoutsToTheNanosecond() {
        let spec = EpollSelector.timespec(.microseconds(300))
        XCTAssertEqual(spec.tv_sec, 0)
        XCTAssertEqual(spec.tv_nsec, 300_000)
        let long = EpollSelector.timespec(.seconds(90) + .nanoseconds(7))
        XCTAssertEqual(long.tv_sec, 90)
        XCTAssertEqual(long.tv_nsec, 7)
    }

    /// A sub-millisecond timer fires, and not early.
    func testASubMillisecondTimerFiresNotEarly() throws {
        let loop = EventLoop(selector: try SelectorKind.epoll.make())
        var fired: ContinuousClock.Instant?
        let began = ContinuousClock.now
        loop.schedule(after: .microseconds(300)) { fired = .now }
        while fired == nil && ContinuousClock.now - began < .seconds(2) { try loop.runOnce() }
        let waited = try XCTUnwrap(fired) - began
        XCTAssertGreaterThanOrEqual(waited, .microseconds(300))
    }

    func testTheBackendIsChosenByName() {
        XCTAssertEqual(SelectorKind.fromEnvironment("poll"), .poll)
        XCTAssertEqual(SelectorKind.fromEnvironment("EPOLL"), .epoll)
        XCTAssertEqual(SelectorKind.fromEnvironment(nil), .epoll)
        XCTAssertNil(SelectorKind.fromEnvironment("kqueue"))
    }

    func testEpollReportsAnErrorAsWritableToADescriptorWaitingToWrite() {
        // The kernel's values (sys/epoll.h): EPOLLOUT 0x004, EPOLLERR 0x008, EPOLLHUP 0x010.
        let error: UInt32 = 0x008
        XCTAssertEqual(EpollSelector.readyEvent(fd: 5, flags: error, interest: .write).writable, true,
                       "EPOLLERR without EPOLLOUT still wakes a writer")
        XCTAssertEqual(EpollSelector.readyEvent(fd: 5, flags: error, interest: .read).writable, false)
        XCTAssertEqual(EpollSelector.readyEvent(fd: 5, flags: 0x010, interest: .read).readable, true)
        XCTAssertEqual(EpollSelector.readyEvent(fd: 5, flags: 0x004, interest: .write).readable, false)
    }
}
