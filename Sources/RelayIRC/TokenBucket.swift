/// The one token bucket: `burst` tokens at once, then `rate` a second.
/// The client's pacer (public servers never kick us for flooding), its CTCP
/// reply budget, a bot's trigger rate, and the server's flood control (where
/// an expensive command costs several tokens) are all this. A rate of 0 turns
/// it off: every take succeeds.
public struct TokenBucket: Sendable {
    /// Tokens it holds at most; changing it (a reload) takes effect at the next refill.
    public var burst: Int { didSet { burst = max(1, burst) } }
    public var rate: Double
    public private(set) var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    /// A full bucket.
    public init(burst: Int = 5, rate: Double = 1, now: ContinuousClock.Instant) {
        self.burst = max(1, burst)
        self.rate = rate
        self.tokens = Double(max(1, burst))
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

    /// Takes `cost` tokens if they are there now (at most `burst` is ever asked).
    public mutating func take(_ cost: Double = 1, now: ContinuousClock.Instant) -> Bool {
        if isOff { return true }
        refill(now)
        let cost = min(cost, Double(burst))
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// When `cost` tokens will be there.
    public mutating func nextToken(_ cost: Double = 1, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if isOff { return now }
        refill(now)
        let cost = min(cost, Double(burst))
        if tokens >= cost { return now }
        return now + .nanoseconds(Int64(((cost - tokens) / rate * 1e9).rounded(.up)))
    }
}
