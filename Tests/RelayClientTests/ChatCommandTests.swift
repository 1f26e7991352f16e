import RelayClient
import XCTest

/// The interactive chat's slash-command language, lines in, meanings out.
final class ChatCommandTests: XCTestCase {
    func testLinesAndCommands() {
        let cases: [(String, ChatCommand)] = [
            ("hello", .say("hello")),
            ("//slash at the start", .say("/slash at the start")),
            ("/me waves", .action("waves")),
            ("/join dev", .join(room: "#dev", key: nil)),
            ("/join #ops s3cret", .join(room: "#ops", key: "s3cret")),
            ("/join", .usage("/join ROOM [KEY]")),
            ("/part", .part(room: nil, reason: nil)),
            ("/part gone for lunch", .part(room: nil, reason: "gone for lunch")),
            ("/leave #dev bye all", .part(room: "#dev", reason: "bye all")),
            ("/msg bob hi  there", .message(nick: "bob", text: "hi  there")),
            ("/msg bob", .usage("/msg NICK TEXT")),
            ("/nick ana_", .nick("ana_")),
            ("/names", .names(room: nil)),
            ("/who dev", .names(room: "#dev")),
            ("/topic", .topic(nil)),
            ("/topic new plan", .topic("new plan")),
            ("/list", .list),
            ("/switch dev", .switchTo("#dev")),
            ("/room", .switchTo(nil)),
            ("/raw MODE #dev +t", .raw("MODE #dev +t")),
            ("/QUIT see you", .quit(reason: "see you")),
            ("/exit", .quit(reason: nil)),
            ("/help", .help),
            ("/frobnicate", .unknown("/frobnicate")),
        ]
        for (line, meaning) in cases { XCTAssertEqual(ChatCommand.parse(line), meaning, line) }
    }

    func testWhatWorksWhileDisconnected() {
        XCTAssertTrue(ChatCommand.parse("hello").worksOffline, "queued")
        XCTAssertTrue(ChatCommand.parse("/quit").worksOffline)
        XCTAssertTrue(ChatCommand.parse("/switch #a").worksOffline)
        XCTAssertFalse(ChatCommand.parse("/join #a").worksOffline)
        XCTAssertFalse(ChatCommand.parse("/msg bob hi").worksOffline)
    }

    func testTheOfflineQueueIsBoundedKeepsRoomsAndKindsAndEmptiesOnce() {
        var queue = OfflineQueue(limit: 2)
        XCTAssertTrue(queue.add("one", to: "#a", kind: .message))
        XCTAssertTrue(queue.add("waves", to: "#b", kind: .action))
        XCTAssertFalse(queue.add("three", to: "#a", kind: .message), "full: not kept")
        let sent = queue.takeAll()
        XCTAssertEqual(sent.map(\.text), ["one", "waves"])
        XCTAssertEqual(sent.map(\.room), ["#a", "#b"])
        XCTAssertEqual(sent.map(\.kind), [.message, .action])
        XCTAssertTrue(queue.takeAll().isEmpty)
    }
}
