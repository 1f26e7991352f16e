/// The one token bucket: `burst` tokens at once, then `rate` a second.
/// The client's pacer (public servers never kick us for flooding), its CTCP
/// reply budget, a bot's trigger rate, and the server's flood control (where
/// an expensive command costs several tokens) are all this. A rate of 0 turns
/// it off: every take succeeds.
public struct TokenBucket: Sendable {
    /// Tokens it holds at most; changing it (a reload) takes effect at the next refill.
    public var burst: Int { didSet { burst = max(1, burst) } }
    public var rate: Double
    private var level: TokenLevel

    /// A full bucket.
    public init(burst: Int = 5, rate: Double = 1, now: ContinuousClock.Instant) {
        self.burst = max(1, burst)
        self.rate = rate
        self.level = TokenLevel(full: burst, now: now)
    }

    public var isOff: Bool { rate <= 0 }
    public var tokens: Double { level.tokens }

    /// Takes `cost` tokens if they are there now (at most `burst` is ever asked).
    public mutating func take(_ cost: Double = 1, now: ContinuousClock.Instant) -> Bool {
        level.take(cost, burst: burst, rate: rate, now: now)
    }

    /// When `cost` tokens will be there.
    public mutating func nextToken(_ cost: Double = 1, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        level.nextToken(cost, burst: burst, rate: rate, now: now)
    }
}

/// What a token bucket holds, without its burst and rate, which the caller
/// passes: for many buckets that share them, as a server's flood control keeps
/// one per connection (16 bytes where a `TokenBucket` is 40).
public struct TokenLevel: Sendable {
    public private(set) var tokens: Double
    private var refilledAt: Tick

    /// A full bucket.
    public init(full burst: Int, now: ContinuousClock.Instant) {
        tokens = Double(max(1, burst))
        refilledAt = Tick(now)
    }

    /// Refills up to `burst` (at least one token); returns the cost asked, cut to
    /// what the bucket can ever hold.
    private mutating func refill(asking cost: Double, burst: Int, rate: Double, _ now: ContinuousClock.Instant) -> Double {
        let capacity = Double(max(1, burst)), tick = Tick(now)
        if tick > refilledAt {
            tokens = min(capacity, tokens + tick.seconds(since: refilledAt) * rate)
            refilledAt = tick
        }
        return min(cost, capacity)
    }

    /// Takes `cost` tokens if they are there now (at most `burst` is ever asked);
    /// a rate of 0 or less is off: always.
    public mutating func take(_ cost: Double = 1, burst: Int, rate: Double, now: ContinuousClock.Instant) -> Bool {
        if rate <= 0 { return true }
        let cost = refill(asking: cost, burst: burst, rate: rate, now)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// When `cost` tokens will be there.
    public mutating func nextToken(_ cost: Double = 1, burst: Int, rate: Double,
                                   now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if rate <= 0 { return now }
        let cost = refill(asking: cost, burst: burst, rate: rate, now)
        if tokens >= cost { return now }
        return now + .nanoseconds(Int64(((cost - tokens) / rate * 1e9).rounded(.up)))
    }
}
