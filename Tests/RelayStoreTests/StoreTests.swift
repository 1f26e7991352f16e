import Foundation
import RelayServer
@testable import RelayStore
import XCTest

final class StoreTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "relay-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var path: String { directory + "/relay.db" }

    private func line(_ room: String, _ number: UInt64, millis: Int64 = 1_000) -> StoredLine {
        StoredLine(room: room, text: "line \(number)", isAction: number % 2 == 0, source: "ana!ana@host", millis: millis,
                   msgid: number, account: number == 3 ? "ana" : nil, bot: false)
    }

    func testMigratesOnceAndKnowsItsVersion() throws {
        let database = try Database(path: path)
        try Schema.migrate(database)
        try Schema.migrate(database)
        XCTAssertEqual(try database.userVersion, Schema.version)
        XCTAssertEqual(try Schema.problems(in: database), [])
    }

    func testANewerDatabaseIsRefused() throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA user_version = 99")
        XCTAssertThrowsError(try Schema.migrate(database)) {
            XCTAssertTrue("\($0)".contains("schema version 99 is newer than this relay's"), "\($0)")
        }
    }

    func testACorruptFileIsReported() throws {
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try { let database = try Database(path: path); try Schema.migrate(database) }())
    }

    func testLinesInOrderRedactionsAndLimits() throws {
        let database = try Database(path: path)
        try Schema.migrate(database)
        let history = StateTables(database)
        for number in UInt64(1)...10 { try history.apply(.said(line("#ops", number, millis: Int64(number) * 1000))) }
        try history.apply(.said(line("#dev", 11, millis: 11_000)))
        try history.apply(.forgot(room: "#ops", msgid: 9))
        XCTAssertEqual(try history.recent(room: "#ops", limit: 3).map(\.msgid), [7, 8, 10])
        XCTAssertEqual(try history.recent(room: "#ops", limit: 3)[0], line("#ops", 7, millis: 7000))
        XCTAssertEqual(try history.recent(room: "#ops", limit: 100, since: 8000).map(\.msgid), [8, 10])
        XCTAssertEqual(try history.lastMsgid(), 11)
        try history.prune(keeping: 100, before: 7500)
        XCTAssertEqual(try history.recent(room: "#ops", limit: 100).map(\.msgid), [8, 10], "older than the cutoff: gone")
        try history.prune(keeping: 1, before: nil, rooms: ["#ops"])
        XCTAssertEqual(try history.recent(room: "#ops", limit: 100).map(\.msgid), [10], "one a room")
        XCTAssertEqual(try history.recent(room: "#dev", limit: 100).map(\.msgid), [11], "a room not named is left alone")
        try history.prune(keeping: 1, before: nil)
        XCTAssertEqual(try history.recent(room: "#dev", limit: 100).map(\.msgid), [11])
        try history.prune(keeping: 100, before: 20_000)
        XCTAssertEqual(try history.lastMsgid(), 0, "nothing young enough: everything goes")
    }

    func testSearchMatchesEveryWordInAnyCaseAndTakesWildcardsLiterally() throws {
        let database = try Database(path: path)
        try Schema.migrate(database)
        let history = StateTables(database)
        let texts = ["Deploy started", "deploy FINISHED", "100% done", "1000 done", "snake_case", "snakeXcase"]
        for (index, text) in texts.enumerated() {
            try history.apply(.said(StoredLine(room: "#ops", text: text, isAction: false, source: "a!a@h", millis: 1, msgid: UInt64(index + 1))))
        }
        try history.apply(.said(StoredLine(room: "#dev", text: "deploy finished", isAction: false, source: "a!a@h", millis: 1, msgid: 99)))
        XCTAssertEqual(try history.search(room: "#ops", words: ["deploy", "finished"], limit: 10).map(\.text), ["deploy FINISHED"])
        XCTAssertEqual(try history.search(room: "#ops", words: ["deploy"], limit: 1).map(\.text), ["deploy FINISHED"], "the newest")
        XCTAssertEqual(try history.search(room: "#ops", words: ["100%"], limit: 10).map(\.text), ["100% done"])
        XCTAssertEqual(try history.search(room: "#ops", words: ["snake_"], limit: 10).map(\.text), ["snake_case"])
        XCTAssertEqual(try history.search(room: "#ops", words: ["deploy"], limit: 10, window: 4).map(\.text), [],
                       "only the newest lines are looked at")
    }

    func testTheWriterCommitsEverythingSubmittedBeforeClose() throws {
        let writer = try StoreWriter(path: path, keepLines: 10_000, keepFor: nil)
        try writer.start()
        for batch in 0..<50 { writer.submit((1...20).map { .said(line("#ops", UInt64(batch * 20 + $0))) }) }
        writer.close()
        XCTAssertEqual(writer.takeProblems(), [])
        let history = StateTables(try Database(path: path, readOnly: true))
        XCTAssertEqual(try history.recent(room: "#ops", limit: 2_000).map(\.msgid), Array(UInt64(1)...1000))
        XCTAssertEqual(try MetaTable(try Database(path: path)).value("last-msgid"), "1000", "kept apart from the lines, which pruning may remove")
    }

    func testABacklogPastTheBoundIsDroppedAndSaid() throws {
        let writer = try StoreWriter(path: path, keepLines: 100, keepFor: nil, maxPending: 5)
        writer.submit((UInt64(1)...8).map { .said(line("#ops", $0)) })  // not started: nothing is taken yet
        XCTAssertEqual(writer.takeProblems(), ["the disk was too slow: 3 history line(s) were not saved"])
        try writer.start()
        writer.close()
        XCTAssertEqual(try StateTables(try Database(path: path)).recent(room: "#ops", limit: 10).map(\.msgid), [4, 5, 6, 7, 8])
    }

    func testARegisteredRoomRoundTripsAndDrops() throws {
        let database = try Database(path: path)
        try Schema.migrate(database)
        let history = StateTables(database)
        var record = ChannelRecord(name: "#Ops", founder: "ana", flags: "int")
        record.topic = "t"
        record.key = "k"
        record.limit = 5
        record.masks = [ChannelRecord.Mask(list: "b", mask: "x!*@*", setBy: "ana", setAt: 3)]
        try history.apply(.channel(record))
        record.masks.append(ChannelRecord.Mask(list: "e", mask: "y!*@*", setBy: "ana", setAt: 4))
        try history.apply(.channel(record))
        XCTAssertEqual(try history.channels(), [record])
        try history.apply(.unregistered(room: "#ops"))
        XCTAssertEqual(try history.channels(), [])
    }

    /// A full disk fails every commit: said once, then counted, not a log line a turn.
    func testAFullDiskIsSaidOnceThenCounted() throws {
        let writer = try StoreWriter(path: path, keepLines: 100_000, keepFor: nil)
        try writer.limitPages(4)
        try writer.start()
        let text = String(repeating: "x", count: 2_000)
        for batch in 0..<20 {
            writer.submit([.said(StoredLine(room: "#ops", text: text, isAction: false, source: "a!a@h", millis: 1, msgid: UInt64(batch + 1)))])
            usleep(5_000)
        }
        writer.close()
        let problems = writer.takeProblems()
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems[0].hasPrefix("history not saved: ") && problems[0].contains("full"), "\(problems)")
        XCTAssertTrue(problems[1].hasSuffix("more time(s)"), "\(problems)")
    }

    func testMeta() throws {
        let database = try Database(path: path)
        try Schema.migrate(database)
        let meta = MetaTable(database)
        XCTAssertNil(try meta.value("msgid-prefix"))
        try meta.set("msgid-prefix", "abc")
        try meta.set("msgid-prefix", "abd")
        XCTAssertEqual(try meta.value("msgid-prefix"), "abd")
    }
}
