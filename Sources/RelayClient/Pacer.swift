/// A token bucket for outgoing lines, so public servers never kick us for
/// flooding: `burst` lines at once, then `rate` lines per second. A rate of 0
/// turns pacing off.
public struct Pacer: Sendable {
    public let burst: Int
    public let rate: Double
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    public init(burst: Int = 5, rate: Double = 1, now: ContinuousClock.Instant) {
        self.burst = max(1, burst)
        self.rate = rate
        self.tokens = Double(self.burst)
        self.refilledAt = now
    }

    public var isOff: Bool { rate <= 0 }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        guard now > refilledAt else { return }
        let elapsed = now - refilledAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(Double(burst), tokens + seconds * rate)
        refilledAt = now
    }

    /// Takes a token if one is there now.
    public mutating func take(now: ContinuousClock.Instant) -> Bool {
        if isOff { return true }
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// When the next token will be there.
    public mutating func nextToken(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if isOff { return now }
        refill(now)
        if tokens >= 1 { return now }
        return now + .nanoseconds(Int64(((1 - tokens) / rate * 1e9).rounded(.up)))
    }
}
