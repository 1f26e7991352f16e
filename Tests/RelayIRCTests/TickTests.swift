import RelayIRC
import XCTest

/// A time kept per connection in 8 bytes gives back the very instant it was given.
final class TickTests: XCTestCase {
    func testAnInstantComesBackExactly() {
        let now = ContinuousClock.now
        for instant in [now, now + .nanoseconds(1), now + .microseconds(999), now + .seconds(86_400 * 365),
                        now - .nanoseconds(1), now - .milliseconds(1500), now - .seconds(3600)] {
            XCTAssertEqual(Tick(instant).instant, instant, "\(instant - now) from now")
        }
    }

    func testTicksOrderAndMeasureAsTheirInstants() {
        let now = ContinuousClock.now
        XCTAssertLessThan(Tick(now - .nanoseconds(1)), Tick(now))
        XCTAssertFalse(Tick(now) < Tick(now))
        XCTAssertEqual(Tick(now + .milliseconds(1500)).seconds(since: Tick(now)), 1.5, accuracy: 1e-12)
        XCTAssertEqual(Tick(now - .seconds(2)).seconds(since: Tick(now)), -2, accuracy: 1e-12)
        XCTAssertEqual(MemoryLayout<Tick>.size, 8)
    }
}
