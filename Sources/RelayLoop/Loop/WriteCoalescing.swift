/// When the loop writes what its connections queued: at once, or a little
/// later so that several lines leave in one write.
///
/// A message to a room of 200 costs 200 writes, and a write costs far more than
/// the line it carries (the syscall, and on loopback the receiver's TCP path
/// too). Under a steady stream of messages (a busy room, a bridge at full
/// speed) holding the output for a moment lets the next lines join the same
/// writes. Under light load holding would only add latency.
///
/// So the policy is adaptive: a flush that writes to at least `busyWriters`
/// sockets is busy. Output queued within `window` of a busy flush is held until
/// `window` after that flush; output queued after the window (the room has
/// gone quiet) is written at once. Nothing is ever held longer than `window`
/// after the last flush, and a window of zero turns holding off.
///
/// The loop holds input for the same window (as a NIC driver's NAPI polls
/// instead of taking an interrupt per packet): a line read within the window
/// could only join the held output, so the loop sleeps until the window's end
/// and reads what came in one go, one wake-up instead of one per line.
/// Pure: the caller passes the clock's time.
public struct WriteCoalescing: Sendable {
    /// The most output is held after a busy flush; zero is off.
    public let window: Duration
    /// How many sockets one flush writes to before it counts as busy.
    public let busyWriters: Int
    private var lastBusyFlush: ContinuousClock.Instant?

    public static let defaultWindow: Duration = .milliseconds(1)
    public static let defaultBusyWriters = 32

    public init(window: Duration = defaultWindow, busyWriters: Int = defaultBusyWriters) {
        self.window = max(.zero, window)
        self.busyWriters = max(1, busyWriters)
    }

    public static let off = WriteCoalescing(window: .zero)

    /// Until when output queued now, and input arriving now, waits; nil: at once.
    public func holdUntil(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard window > .zero, let lastBusyFlush else { return nil }
        let until = lastBusyFlush + window
        return now < until ? until : nil
    }

    /// Notes a flush that wrote to `writers` sockets at `now`.
    public mutating func flushed(writers: Int, at now: ContinuousClock.Instant) {
        lastBusyFlush = writers >= busyWriters ? now : nil
    }
}
