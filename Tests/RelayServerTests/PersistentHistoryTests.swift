import RelayIRC
import XCTest
@testable import RelayServer

/// `serve --data`: the core reads a room's history when the room comes into
/// being and journals every change; the disk itself is the host's (a fake here).
final class PersistentHistoryTests: XCTestCase {
    private var reads: [(String, Int)] = []

    private func stored(_ room: String) -> PersistentHistory {
        PersistentHistory(msgidPrefix: "old", lastMsgid: 41) { [unowned self] folded, limit in
            reads.append((folded, limit))
            guard folded == room else { return [] }
            return [StoredLine(room: folded, text: "before the restart", isAction: false, source: "ana!ana@h", millis: 1_000, msgid: 40),
                    StoredLine(room: folded, text: "waves", isAction: true, source: "bob!bob@h", millis: 2_000, msgid: 41)]
        }
    }

    func testAPlainUserReadsWhatWasSaidBeforeTheRestart() {
        let harness = Harness(persistence: stored("#lobby"))
        let cy = harness.connect()
        harness.advance(by: .seconds(1))
        XCTAssertEqual(Array(cy.take().dropFirst(2)), ["-!- Recent messages in #lobby:", "<ana> before the restart", "* bob waves"])
        XCTAssertEqual(reads.map(\.0), ["#lobby"], "read once, when the room came into being")
    }

    func testARoomCreatedLaterReadsItsOwnAndChangesAreJournaledInOrder() {
        let harness = Harness(persistence: stored("#dev"))
        let cy = harness.plainUser(nick: "cy")
        harness.send(cy, "/join #dev")
        XCTAssertTrue(cy.take().contains("<ana> before the restart"))
        harness.send(cy, "hello again")
        harness.send(cy, "/me smiles")
        let changes = harness.server.takeStateChanges()
        XCTAssertEqual(changes.count, 2)
        guard case .said(let first) = changes[0], case .said(let second) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(first.room, "#dev")
        XCTAssertEqual(first.text, "hello again")
        XCTAssertEqual(first.msgid, 42, "msgids go on after the stored ones")
        XCTAssertEqual(second.isAction, true)
        XCTAssertEqual(harness.server.takeStateChanges(), [])
    }

    func testChathistoryAndRedactionUseThePersistedIDs() {
        let harness = Harness(persistence: stored("#dev")) { $0.floodRate = 0 }  // CHATHISTORY costs 4 flood tokens
        let ana = harness.ircv3User("ana", caps: "message-tags batch server-time draft/chathistory draft/message-redaction")
        harness.send(ana, "JOIN #dev")
        _ = ana.take()
        harness.send(ana, "CHATHISTORY LATEST #dev * 10")
        let replay = ana.take()
        XCTAssertTrue(replay.contains { $0.contains("msgid=old-14") && $0.hasSuffix("PRIVMSG #dev :before the restart") }, "\(replay)")
        // A line from another run has no sender here: only an operator may take it back (ana is the room's).
        harness.send(ana, "REDACT #dev old-14")
        XCTAssertEqual(harness.server.takeStateChanges(), [.forgot(room: "#dev", msgid: 40)])
    }

    func testWithoutDataNothingIsJournaled() {
        let harness = Harness()
        let cy = harness.plainUser(nick: "cy")
        harness.send(cy, "hi")
        XCTAssertEqual(harness.server.takeStateChanges(), [])
    }
}

/// `/history` and `/search` for plain users.
final class PlainHistoryCommandTests: XCTestCase {
    func testFromTheRoomsMemoryWithoutData() {
        let harness = Harness()
        harness.wallClock = 1_796_400_000  // 2026-12-04 16:00 UTC
        let ana = harness.plainUser(nick: "ana")
        harness.send(ana, "deploy started")
        harness.send(ana, "/me checks the logs")
        harness.send(ana, "Deploy finished")
        _ = ana.take()
        harness.send(ana, "/history 2")
        XCTAssertEqual(ana.take(), ["-!- The last 2 in #lobby:", "[2026-12-04 16:00] * ana checks the logs", "[2026-12-04 16:00] <ana> Deploy finished"])
        harness.advance(by: .seconds(10))  // each costs 4 of the 10 flood tokens
        harness.send(ana, "/search deploy FIN")
        XCTAssertEqual(ana.take(), ["-!- Lines in #lobby with deploy fin:", "[2026-12-04 16:00] <ana> Deploy finished"])
        harness.advance(by: .seconds(10))
        harness.send(ana, "/search nothing")
        XCTAssertEqual(ana.take(), ["-!- Nothing in #lobby matches nothing"])
        harness.advance(by: .seconds(10))
        harness.send(ana, "/history 500")
        XCTAssertEqual(ana.take(), ["-!- Usage: /history [1-100]"])
        harness.advance(by: .seconds(10))
        harness.send(ana, "/search")
        XCTAssertEqual(ana.take(), ["-!- Usage: /search WORDS"])
    }

    func testFromTheDiskWithData() {
        var asked: [(String, [String], Int)] = []
        let persistence = PersistentHistory(msgidPrefix: "p", lastMsgid: 1, recent: { folded, limit in
            limit == 5 ? [StoredLine(room: folded, text: "from disk", isAction: false, source: "old!o@h", millis: 1_796_400_000_000, msgid: 1)] : []
        }, search: { folded, words, limit in
            asked.append((folded, words, limit))
            return [StoredLine(room: folded, text: "found it", isAction: false, source: "old!o@h", millis: 1_796_400_060_000, msgid: 1)]
        })
        let harness = Harness(persistence: persistence)
        let ana = harness.plainUser(nick: "ana")
        _ = ana.take()
        harness.send(ana, "/history 5")
        XCTAssertEqual(ana.take(), ["-!- The last 1 in #lobby:", "[2026-12-04 16:00] <old> from disk"])
        harness.advance(by: .seconds(10))
        harness.send(ana, "/search Found IT")
        XCTAssertEqual(ana.take(), ["-!- Lines in #lobby with found it:", "[2026-12-04 16:01] <old> found it"])
        XCTAssertEqual(asked.map(\.1), [["found", "it"]])
    }
}

/// draft/chathistory reaches back as far as the disk keeps (`--history-lines`), not just the room's memory.
final class ChathistoryFromDiskTests: XCTestCase {
    func testOlderLinesComeFromTheDiskAndTheNewestFromMemory() {
        var persistence = PersistentHistory(msgidPrefix: "p", lastMsgid: 50, recent: { folded, limit in
            (1...50).suffix(limit).map { StoredLine(room: folded, text: "old \($0)", isAction: false, source: "ana!a@h", millis: Int64($0) * 1000, msgid: UInt64($0)) }
        })
        persistence.keptLines = 100
        let harness = Harness(persistence: persistence) { $0.historyLength = 3; $0.floodRate = 0 }
        let ana = harness.ircv3User("ana", caps: "batch message-tags draft/chathistory")
        harness.send(ana, "JOIN #dev")
        harness.send(ana, "PRIVMSG #dev :new one")
        _ = ana.take()
        harness.send(ana, "CHATHISTORY LATEST #dev * 5")
        let texts = ana.take().filter { $0.contains(" PRIVMSG ") }.map { String($0.split(separator: ":").last!) }
        XCTAssertEqual(texts, ["old 47", "old 48", "old 49", "old 50", "new one"])
        harness.send(ana, "CHATHISTORY BEFORE #dev msgid=p-a 2")  // msgid 10 in base 36
        XCTAssertEqual(ana.take().filter { $0.contains(" PRIVMSG ") }.map { String($0.split(separator: ":").last!) }, ["old 8", "old 9"])
    }
}
