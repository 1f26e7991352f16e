/// Reconnect delays: exponential from `initial` to `maximum`, each with up to
/// `jitter` of itself added at random, so many clients of one restarted server
/// do not come back in lockstep.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public let jitter: Double
    public private(set) var attempts = 0

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60), jitter: Double = 0.25) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before the next attempt; `random` is in 0..<1.
    public mutating func nextDelay(random: Double) -> Duration {
        let factor = Double(1 << min(attempts, 20))
        attempts += 1
        let base = min(initial * factor, maximum)
        return base + base * (jitter * random)
    }

    public mutating func reset() { attempts = 0 }
}
