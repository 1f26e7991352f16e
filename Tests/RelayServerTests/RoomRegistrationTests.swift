import RelayIRC
import XCTest
@testable import RelayServer

/// ChanServ with `--data`: a registered room keeps its topic, modes, key and
/// lists, and its founder gets operator status.
final class RoomRegistrationTests: XCTestCase {
    private let account = AccountRecord(name: "ana", passwordHash: "fake$opensesame", createdMillis: 1)

    private func harness(channels: [ChannelRecord] = []) -> Harness {
        var persistence = PersistentHistory(msgidPrefix: "p", lastMsgid: 0, accounts: [account], recent: { _, _ in [] })
        persistence.channels = channels
        return Harness(persistence: persistence)
    }

    func testAnOperatorWhoIsLoggedInRegistersAndChangesAreJournaled() {
        let harness = harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "JOIN #ops")
        harness.send(ana, "PRIVMSG ChanServ :REGISTER #ops")
        XCTAssertEqual(Array(ana.take().suffix(1)), [":ChanServ!ChanServ@services. NOTICE ana :Log in first (NickServ IDENTIFY, or /login)"])
        harness.send(ana, "PRIVMSG NickServ :IDENTIFY opensesame")
        harness.send(ana, "PRIVMSG ChanServ :REGISTER #ops")
        XCTAssertEqual(Array(ana.take().suffix(1)), [":ChanServ!ChanServ@services. NOTICE ana :#ops is registered to ana"])
        _ = harness.server.takeStateChanges()
        harness.send(ana, "TOPIC #ops :deploys only")
        harness.send(ana, "MODE #ops +kb sekrit bad!*@*")
        let changes = harness.server.takeStateChanges()
        guard case .channel(let record)? = changes.last else { return XCTFail("\(changes)") }
        XCTAssertEqual(record.topic, "deploys only")
        XCTAssertEqual(record.flags, "nt")
        XCTAssertEqual(record.key, "sekrit")
        XCTAssertEqual(record.masks.map(\.mask), ["bad!*@*"])
        XCTAssertEqual(changes.count, 2, "one snapshot per change")

        let bob = harness.ircUser("bob")
        harness.send(bob, "PRIVMSG ChanServ :REGISTER #ops")
        XCTAssertEqual(bob.take(), [":ChanServ!ChanServ@services. NOTICE bob :Log in first (NickServ IDENTIFY, or /login)"])
        harness.send(bob, "PRIVMSG ChanServ :INFO #ops")
        XCTAssertEqual(bob.take(), [":ChanServ!ChanServ@services. NOTICE bob :#ops is registered to ana"])
    }

    func testARegisteredRoomComesBackAsItWasAndOnlyItsFounderIsOpped() {
        var record = ChannelRecord(name: "#ops", founder: "ana", flags: "imnt")
        record.topic = "deploys only"
        record.topicSetBy = "ana!ana@host"
        record.topicSetAt = 1_700_000_000
        record.key = "sekrit"
        record.masks = [ChannelRecord.Mask(list: "b", mask: "bad!*@*", setBy: "ana", setAt: 1),
                        ChannelRecord.Mask(list: "I", mask: "bob!*@*", setBy: "ana", setAt: 1)]
        let harness = harness(channels: [record])
        let bob = harness.ircUser("bob")
        harness.send(bob, "JOIN #ops sekrit")
        let joined = bob.take()
        XCTAssertTrue(joined.contains(":test.server 332 bob #ops :deploys only"), "\(joined)")
        XCTAssertTrue(joined.contains(":test.server 353 bob = #ops :bob"), "not opped: \(joined)")
        harness.send(bob, "MODE #ops")
        XCTAssertEqual(bob.take().first, ":test.server 324 bob #ops +ikmnt sekrit")
        let ana = harness.ircUser("ana")
        harness.send(ana, "PRIVMSG NickServ :IDENTIFY opensesame")
        harness.send(ana, "JOIN #ops")
        XCTAssertTrue(ana.take().contains(":test.server 353 ana = #ops :bob @ana"), "its founder: past +i and +k, and opped")
        let bad = harness.ircUser("bad")
        harness.send(bad, "JOIN #ops sekrit")
        XCTAssertTrue(bad.take().contains { $0.contains(" 473 ") || $0.contains(" 474 ") }, "kept out")
    }

    func testPlainUsersReachTheServices() {
        let harness = harness()
        let pia = harness.plainUser(nick: "pia")
        harness.send(pia, "/msg ChanServ INFO #lobby")
        XCTAssertEqual(pia.take(), ["-!- ChanServ: #lobby is not registered"])
        harness.send(pia, "/msg NickServ help")
        XCTAssertEqual(pia.take().first?.hasPrefix("-!- NickServ: Commands: REGISTER"), true)
    }
}
