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
        let changes = harness.server.takeHistoryChanges()
        XCTAssertEqual(changes.count, 2)
        guard case .said(let first) = changes[0], case .said(let second) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(first.room, "#dev")
        XCTAssertEqual(first.text, "hello again")
        XCTAssertEqual(first.msgid, 42, "msgids go on after the stored ones")
        XCTAssertEqual(second.isAction, true)
        XCTAssertEqual(harness.server.takeHistoryChanges(), [])
    }

    func testChathistoryAndRedactionUseThePersistedIDs() {
        let harness = Harness(persistence: stored("#dev"))
        let ana = harness.ircv3User("ana", caps: "message-tags batch server-time draft/chathistory draft/message-redaction")
        harness.send(ana, "JOIN #dev")
        _ = ana.take()
        harness.send(ana, "CHATHISTORY LATEST #dev * 10")
        let replay = ana.take()
        XCTAssertTrue(replay.contains { $0.contains("msgid=old-14") && $0.hasSuffix("PRIVMSG #dev :before the restart") }, "\(replay)")
        // A line from another run has no sender here: only an operator may take it back (ana is the room's).
        harness.send(ana, "REDACT #dev old-14")
        XCTAssertEqual(harness.server.takeHistoryChanges(), [.forgot(room: "#dev", msgid: 40)])
    }

    func testWithoutDataNothingIsJournaled() {
        let harness = Harness()
        let cy = harness.plainUser(nick: "cy")
        harness.send(cy, "hi")
        XCTAssertEqual(harness.server.takeHistoryChanges(), [])
    }
}
