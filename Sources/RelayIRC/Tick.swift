/// A `ContinuousClock.Instant` in 8 bytes, for the times kept per connection:
/// the standard library's Instant is 16 (a `Duration`) and its layout is
/// resilient, so every field after one has no fixed offset. Nanoseconds from
/// a fixed origin (the first use in this process): ±292 years either side, and
/// exact for every instant the clock gives (it counts in nanoseconds).
public struct Tick: Comparable, Sendable {
    private static let origin = ContinuousClock.now
    private var nanoseconds: Int64

    public init(_ instant: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (instant - Self.origin).components
        nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    public var instant: ContinuousClock.Instant { Self.origin + .nanoseconds(nanoseconds) }

    /// Seconds from `earlier` to this one.
    public func seconds(since earlier: Tick) -> Double { Double(nanoseconds - earlier.nanoseconds) * 1e-9 }

    public static func < (a: Tick, b: Tick) -> Bool { a.nanoseconds < b.nanoseconds }
}

/// An Instant property kept as a Tick: `@Ticked var lastActivity: ContinuousClock.Instant`.
@propertyWrapper
public struct Ticked: Sendable {
    private var tick: Tick

    public init(wrappedValue: ContinuousClock.Instant) { tick = Tick(wrappedValue) }

    public var wrappedValue: ContinuousClock.Instant {
        get { tick.instant }
        set { tick = Tick(newValue) }
    }
}
