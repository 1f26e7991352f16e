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

    func testTicksOrderAsTheirInstants() {
        let now = ContinuousClock.now
        XCTAssertLessThan(Tick(now - .nanoseconds(1)).instant, Tick(now).instant)
        XCTAssertEqual(Tick(now), Tick(now))
        XCTAssertEqual(MemoryLayout<Tick>.size, 8)
    }
}
