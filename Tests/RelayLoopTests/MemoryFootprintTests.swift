import Glibc
@testable import RelayLoop
import XCTest

/// glibc's size of the heap block behind an object (a test-only look: the
/// figures below are what each connection costs, so they must not creep back).
@_silgen_name("malloc_usable_size")
func mallocUsableSize(_ pointer: UnsafeRawPointer) -> Int

/// Memory per connection (BENCHMARKS.md: ~600 B per idle registered
/// connection in all). A field added to `Connection` must say why it is worth
/// every connection's bytes, and move this bound with a measurement.
final class MemoryFootprintTests: XCTestCase {
    func testAConnectionFitsInItsBudget() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[1]) }
        let loop = EventLoop(selector: try SelectorKind.epoll.make())
        let connection = Connection(fd: fds[0], tag: 1, loop: loop, maxLineLength: 512, sendQueueLimit: 1 << 20)
        let size = mallocUsableSize(Unmanaged.passUnretained(connection).toOpaque())
        XCTAssertLessThanOrEqual(size, 200, "a Connection was 280 bytes before its fields were packed")
        connection.abort()
    }
}
