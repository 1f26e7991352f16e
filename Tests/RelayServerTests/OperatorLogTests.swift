@testable import RelayServer
import XCTest

/// The operator's log: who came, who left and why, what operators did; never what people said.
final class OperatorLogTests: XCTestCase {
    private func harness(_ configure: (inout ServerConfig) -> Void = { _ in }) -> (Harness, () -> [ServerLogEvent]) {
        let harness = Harness(configure)
        var events: [ServerLogEvent] = []
        harness.server.log = { events.append($0) }
        return (harness, { defer { events.removeAll() }; return events })
    }

    func testConnectionsRegistrationsAndDisconnectionsWithTheirReasons() {
        let (harness, take) = harness { $0.operators = ["boss": "pw"] }
        let ana = harness.ircUser("ana")
        XCTAssertEqual(take().map(\.text), ["connected client=1 host=127.0.0.1",
                                            "registered client=1 host=127.0.0.1 nick=ana dialect=irc"])
        _ = harness.plainUser()
        XCTAssertEqual(take().map(\.text).last, "registered client=2 host=127.0.0.1 nick=guest1 dialect=plain")
        harness.send(ana, "JOIN #x")
        harness.send(ana, "PRIVMSG #x :the secret plan")
        harness.send(ana, "OPER boss nope")
        harness.send(ana, "OPER boss pw")
        let bob = harness.ircUser("bob")
        _ = take()
        harness.send(ana, "KILL bob :spamming")
        harness.send(ana, "QUIT :my private farewell")
        let events = take()
        XCTAssertEqual(events.map(\.text), [
            "kill by=ana nick=bob reason=spamming",
            "disconnected client=3 host=127.0.0.1 nick=bob reason=\"Killed (ana (spamming))\"",
            "disconnected client=1 host=127.0.0.1 nick=ana reason=Quit",
        ])
        _ = bob
    }

    func testOperatorActionsRefusalsAndNoMessageText() {
        let (harness, take) = harness { $0.operators = ["boss": "pw"]; $0.maxClients = 1 }
        let ana = harness.ircUser("ana")
        _ = take()
        harness.send(ana, "OPER boss nope")
        harness.send(ana, "OPER boss pw")
        harness.send(ana, "PRIVMSG ana :the secret plan")
        _ = harness.connect()
        let events = take()
        XCTAssertEqual(events.map(\.event), ["oper-refused", "oper", "refused"])
        XCTAssertEqual(events.map(\.level), [.warn, .info, .warn])
        XCTAssertEqual(events.last?["reason"], "Server is full: 1 clients; try again later")
        XCTAssertFalse(events.contains { $0.text.contains("secret") }, "no message text")
    }

    func testAPingTimeoutAndNickChangesAtDebug() {
        let (harness, take) = harness()
        let ana = harness.ircUser("ana")
        harness.send(ana, "NICK anna")
        XCTAssertEqual(take().last.map { "\($0.level) \($0.text)" }, "debug nick client=1 nick=ana new=anna")
        harness.advance(by: .seconds(121))
        XCTAssertEqual(take().last?.text, "disconnected client=1 host=127.0.0.1 nick=anna reason=\"Ping timeout: 120 seconds\"")
    }
}
