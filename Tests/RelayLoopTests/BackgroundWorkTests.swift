import Glibc
@testable import RelayLoop
import XCTest

/// CPU work beside the loop: results come back on the loop, in order, and the queue is bounded.
final class BackgroundWorkTests: XCTestCase {
    func testJobsRunBesideTheLoopAndComeBackInOrder() throws {
        let loop = try EventLoop.makeDefault()
        let work = try BackgroundWork(loop: loop, limit: 8)
        var events: [String] = []
        for number in 1...3 {
            XCTAssertTrue(work.submit({ () -> Int in usleep(100_000); return number * 10 }) { result in
                events.append("job \(result)")
                if result == 30 { loop.stop() }
            })
        }
        loop.schedule(after: .milliseconds(20)) { events.append("timer") }
        loop.schedule(after: .seconds(5)) { [unowned loop] in loop.stop() }
        try loop.run()
        XCTAssertEqual(events, ["timer", "job 10", "job 20", "job 30"])
        work.close()
    }

    func testAFullQueueRefuses() throws {
        let loop = try EventLoop.makeDefault()
        let work = try BackgroundWork(loop: loop, limit: 2)
        let accepted = (0..<10).map { _ in work.submit({ usleep(50_000) }) { _ in } }
        XCTAssertEqual(accepted.filter { $0 }.count, 2, "two outstanding at most")
        work.close()
    }
}
