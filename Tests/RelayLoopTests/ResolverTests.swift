import Glibc
@testable import RelayLoop
import XCTest

/// Name resolution never blocks the loop: a slow lookup runs beside it.
final class ResolverTests: XCTestCase {
    func testASlowLookupLetsTheLoopRunMeanwhile() throws {
        let loop = try EventLoop.makeDefault()
        var events: [String] = []
        let resolver = try Resolver(host: "slow.example", port: 6667, loop: loop, lookup: { host, port in
            usleep(300_000)  // a DNS server taking its time
            return try SocketAddress.resolve(host: "127.0.0.1", port: port)
        }, completion: { result in
            events.append((try? result.get().first?.description) ?? "failed")
            loop.stop()
        })
        loop.schedule(after: .milliseconds(20)) { events.append("timer") }
        loop.schedule(after: .seconds(5)) { [unowned loop] in loop.stop() }
        try loop.run()
        XCTAssertEqual(events, ["timer", "127.0.0.1:6667"], "the timer ran while the name was being resolved")
        _ = resolver
    }

    func testAFailureIsReportedAsAResolveError() throws {
        let loop = try EventLoop.makeDefault()
        var message = ""
        let resolver = try Resolver(host: "nosuchhost.invalid", port: 1, loop: loop, completion: { result in
            if case .failure(let error) = result { message = "\(error)" }
            loop.stop()
        })
        loop.schedule(after: .seconds(30)) { [unowned loop] in loop.stop() }
        try loop.run()
        XCTAssertTrue(message.hasPrefix("resolve nosuchhost.invalid: "), message)
        _ = resolver
    }

    func testACancelledLookupNeverCallsBack() throws {
        let loop = try EventLoop.makeDefault()
        var called = false
        let resolver = try Resolver(host: "x", port: 1, loop: loop, lookup: { _, _ in
            usleep(50_000)
            return []
        }, completion: { _ in called = true })
        resolver.cancel()
        loop.schedule(after: .milliseconds(200)) { [unowned loop] in loop.stop() }
        try loop.run()
        XCTAssertFalse(called)
    }

    func testStopBeforeRunReturnsAtOnce() throws {
        let loop = try EventLoop.makeDefault()
        loop.stop()
        loop.schedule(after: .seconds(60)) { XCTFail("the loop ran") }
        try loop.run()  // a setup failure that stopped the loop must not leave it waiting forever
    }
}
