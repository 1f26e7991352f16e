#if os(Linux)
import CRelaySys
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something the loop calls when its descriptor is ready.
public protocol ReadinessHandler: AnyObject {
    func handle(_ event: ReadyEvent)
}

/// Something with output to write at the start of the next turn.
public protocol Flushable: AnyObject {
    func flush()
}

/// The single-threaded select loop every `relay` command runs on.
///
/// Each turn:
/// 1. flush every writer that queued output since the last turn (one direct
///    write per socket per turn; writability is waited for only when a write
///    comes up short), unless `coalescing` holds it a moment longer;
/// 2. wait for readiness, for no longer than the earliest timer (or the end
///    of the hold); while `coalescing` holds, input waits too: the loop sleeps
///    until the hold's end (or a timer) and then takes everything ready at once;
/// 3. dispatch every ready descriptor, in the order the backend reported them;
/// 4. run the timers that are due.
/// Nothing blocks except step 2, and step 2 only waits when there is nothing to do.
public final class EventLoop {
    public let selector: Selector
    private var handlers = DescriptorTable<ReadinessHandler?>(empty: nil)
    private var interests = DescriptorTable<Interest>(empty: [])
    private var timers = Timers()
    private var pendingFlushes: [Flushable] = []
    /// When queued output is written: at once, or held briefly after a busy flush.
    /// Off unless the command turns it on (`relay serve --coalesce`).
    public var coalescing = WriteCoalescing.off
    private var signalSource: SignalSource?
    private var signalHandlers: [Int32: (Int32) -> Void] = [:]
    private var readyEvents: [ReadyEvent] = []
    /// Set by `stop()`, even before `run()`: a command that fails while setting up
    /// (a name that does not resolve) must not then wait forever in the loop.
    private var stopRequested = false

    /// The loop's clock: the real one, or a test's, which the test moves (then
    /// a timer an hour away fires on the next turn once the clock passes it,
    /// and nothing sleeps).
    private let clock: () -> ContinuousClock.Instant

    public init(selector: Selector, clock: @escaping () -> ContinuousClock.Instant = { .now }) {
        self.selector = selector
        self.clock = clock
    }


    /// A loop on the backend named by RELAY_SELECTOR (epoll by default on Linux).
    public static func makeDefault() throws -> EventLoop {
        let name = getenv("RELAY_SELECTOR").map { String(cString: $0) }
        guard let kind = SelectorKind.fromEnvironment(name) else {
            throw SystemError("RELAY_SELECTOR=\(name ?? "")", code: EINVAL)
        }
        return EventLoop(selector: try kind.make())
    }

    // MARK: Descriptors

    public func watch(_ fd: Int32, interest: Interest, handler: ReadinessHandler) throws {
        precondition(handlers[fd] == nil, "loop: fd \(fd) watched twice")
        try selector.add(fd, interest: interest)
        handlers[fd] = handler
        interests[fd] = interest
    }

    public func setInterest(_ fd: Int32, _ interest: Interest) throws {
        guard handlers[fd] != nil, interests[fd] != interest else { return }
        try selector.modify(fd, interest: interest)
        interests[fd] = interest
    }

    public func interest(of fd: Int32) -> Interest {
        interests[fd]
    }

    /// Forgets `fd`; call before closing it.
    public func unwatch(_ fd: Int32) {
        guard handlers[fd] != nil else { return }
        try? selector.remove(fd)
        handlers[fd] = nil
        interests[fd] = []
    }

    // MARK: Timers

    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, action)
    }

    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerID {
        timers.schedule(at: clock() + delay, action)
    }

    public func cancel(_ timer: TimerID) {
        timers.cancel(timer)
    }

    // MARK: Signals and hooks

    /// Calls `handler` in the loop whenever `signo` arrives.
    public func onSignal(_ signo: Int32, _ handler: @escaping (Int32) -> Void) throws {
        if signalSource == nil {
            let source = try SignalSource()
            signalSource = source
            try watch(source.fd, interest: .read, handler: SignalDispatcher(loop: self))
        }
        try signalSource!.watch(signo)
        signalHandlers[signo] = handler
    }

    fileprivate func dispatchSignals() {
        guard let source = signalSource, let received = try? source.drain() else { return }
        for signo in received { signalHandlers[signo]?(signo) }
    }

    /// Has `writer.flush()` called at the start of the next turn (once per call).
    public func flushSoon(_ writer: Flushable) {
        pendingFlushes.append(writer)
    }

    private func flushPending() {
        guard !pendingFlushes.isEmpty else { return }
        var writers = 0
        // A flush may queue more (a dropped client's quit reaches others): repeat.
        while !pendingFlushes.isEmpty {
            let batch = pendingFlushes
            pendingFlushes.removeAll(keepingCapacity: true)
            writers += batch.count
            for writer in batch { writer.flush() }
        }
        lastFlushAt = clock()
        coalescing.flushed(writers: writers, at: lastFlushAt)
    }

    /// When the loop last wrote: spare output buffers are given back a second after.
    private var lastFlushAt = ContinuousClock.Instant.now
    private static let spareBuffersKept: Duration = .seconds(1)

    // MARK: Running

    public func stop() { stopRequested = true }

    /// Runs turns until `stop()`; returns at once if `stop()` came first.
    public func run() throws {
        while !stopRequested {
            try runOnce()
        }
        stopRequested = false
        // What was queued in the last turn still gets its one (non-blocking) write.
        flushPending()
    }

    /// One turn; `maximumWait` bounds the wait (tests use it to avoid sleeping forever).
    public func runOnce(maximumWait: Duration? = nil) throws {
        // Soon after a busy flush, output waits for the next lines (WriteCoalescing).
        let holdUntil = coalescing.holdUntil(now: clock())
        if holdUntil == nil { flushPending() }
        // A flush may have stopped the loop (a TLS handshake it drove failed at
        // once): waiting now could wait forever, with nothing left to wake it.
        if stopRequested { return }
        var deadline = timers.nextDeadline()
        if let holdUntil { deadline = min(deadline ?? holdUntil, holdUntil) }
        if !SpareBuffers.isEmpty {
            let releaseAt = lastFlushAt + Self.spareBuffersKept
            if clock() >= releaseAt {
                SpareBuffers.release()
                // And hand the freed pages back to the system: without it a burst's
                // buffers stay in the resident set for good (glibc keeps freed chunks).
                #if os(Linux)
                relay_malloc_trim()
                #endif
            } else {
                deadline = min(deadline ?? releaseAt, releaseAt)
            }
        }
        var timeout = deadline.map { max(.zero, $0 - clock()) }
        if let maximumWait { timeout = min(timeout ?? maximumWait, max(.zero, maximumWait)) }
        if let holdUntil {
            // Input waits for the hold's end too: a line read earlier could only
            // join the held output, and reading each as it comes is a wake-up
            // per line (at 200 receivers, 12 % of the loop's CPU; BENCHMARKS.md).
            if let timeout, timeout > .zero { Self.sleep(timeout) }
            if clock() >= holdUntil {
                try selector.wait(timeout: .zero, into: &readyEvents)
            } else {
                readyEvents.removeAll(keepingCapacity: true)  // woken for a timer: input still waits
            }
        } else {
            try selector.wait(timeout: timeout, into: &readyEvents)
        }
        for event in readyEvents {
            // A handler earlier in this turn may have closed this descriptor.
            guard let handler = handlers[event.fd] else { continue }
            handler.handle(event)
        }
        for action in timers.takeDue(at: clock()) { action() }
    }

    /// Sleeps without looking at any descriptor (an interrupted sleep ends early:
    /// the turn then finds nothing due and the next one sleeps again).
    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&request, nil)
    }

    /// `remaining` in whole milliseconds, rounded up so that a wake-up is never
    /// early (an early wake-up with nothing due would spin); 0 when it is not
    /// positive; -1 (no limit) for nil. For backends that count in milliseconds.
    static func milliseconds(rounding remaining: Duration?) -> Int32 {
        guard let remaining else { return -1 }
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }
}

private final class SignalDispatcher: ReadinessHandler {
    unowned let loop: EventLoop
    init(loop: EventLoop) { self.loop = loop }
    func handle(_ event: ReadyEvent) { loop.dispatchSignals() }
}
