import RelayLoop
import XCTest

final class DescriptorTableTests: XCTestCase {
    func testSlotsGrowOnWriteAndReadEmptyPastTheEnd() {
        var table = DescriptorTable<Int?>(empty: nil)
        XCTAssertNil(table[5000], "never written: empty, nothing grown")
        XCTAssertTrue(table.all.isEmpty)
        table[3] = 30
        table[700] = 7000
        XCTAssertEqual(table[3], 30)
        XCTAssertEqual(table[700], 7000)
        XCTAssertNil(table[4])
        table[3] = nil
        XCTAssertEqual(table.all.compactMap { $0 }, [7000])
        XCTAssertGreaterThanOrEqual(table.all.count, 701)
    }
}
