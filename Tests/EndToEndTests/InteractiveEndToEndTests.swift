import Foundation
import Glibc
import XCTest

/// The interactive chat, in a real terminal (tmux), against `relay serve`.
final class InteractiveEndToEndTests: XCTestCase {
    private var server: RelayProcess!
    private var state: String!

    override func setUpWithError() throws {
        guard TmuxSession.isAvailable else { throw XCTSkip("needs tmux (.ci/run installs it)") }
        server = try RelayProcess.serve(["--flood-rate", "0"])
        state = NSTemporaryDirectory() + "relay-state-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() {
        server?.stop()
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    private func chat(nick: String, room: String = "#lobby") throws -> TmuxSession {
        let session = try TmuxSession(command: [RelayProcess.binary.path, "connect", "irc://127.0.0.1:\(server.port)/\(room)",
                                                "--nick", nick],
                                      environment: ["XDG_STATE_HOME": state, "NO_COLOR": "1", "TERM": "xterm"])
        let screen = session.waitForScreen {
            ($0.last == "[\(room)] " || $0.last == "[\(room)]") && $0.contains { $0.hasSuffix("-!- You joined \(room)") }
        }
        XCTAssertTrue(screen.contains { $0.hasSuffix("-!- You joined \(room)") }, "\(screen)")
        return session
    }

    private func plain(_ nick: String) throws -> TestClient {
        let client = try TestClient(port: server.port)
        client.sendLine("/nick \(nick)")
        client.waitFor("-!- You are now known as \(nick)")
        return client
    }

    func testAMessageArrivingWhileTypingAppearsAboveAndLeavesTheHalfLineIntact() throws {
        let ui = try chat(nick: "ana")
        let bob = try plain("bob")
        try ui.type("half a thou")
        ui.waitForScreen { $0.last == "[#lobby] half a thou" }
        bob.sendLine("interrupting!")
        let screen = ui.waitForScreen { $0.contains { $0.hasSuffix("<bob> interrupting!") } }
        XCTAssertEqual(screen.last, "[#lobby] half a thou", "\(screen)")
        XCTAssertTrue(screen[screen.count - 2].hasSuffix("<bob> interrupting!"), "\(screen)")
        // The cursor stayed where it was: typing goes on from there.
        try ui.type("ght")
        try ui.press("Enter")
        bob.waitFor("<ana> half a thought")
        let after = ui.waitForScreen { $0.contains { $0.hasSuffix("<ana> half a thought") } }
        XCTAssertEqual(after.last, "[#lobby]")
    }

    func testJoiningShowsWhatWasSaidBeforeWithItsTime() throws {
        let bob = try plain("bob"), cy = try plain("cy")
        bob.sendLine("said before you came")
        cy.waitFor("<bob> said before you came")
        let ui = try chat(nick: "ana")
        // draft/chathistory: the room's recent lines, each with the time it was said.
        let screen = ui.waitForScreen { $0.contains { $0.hasSuffix("<bob> said before you came") } }
        let line = screen.first { $0.hasSuffix("<bob> said before you came") } ?? ""
        XCTAssertNotNil(line.range(of: #"^\d\d:\d\d "#, options: .regularExpression), line)
        XCTAssertEqual(screen.last, "[#lobby]")
    }

    func testNicksAreColouredUnlessNoColorIsSet() throws {
        let coloured = try TmuxSession(command: [RelayProcess.binary.path, "connect", "irc://127.0.0.1:\(server.port)/#lobby",
                                                 "--nick", "ana"],
                                       environment: ["XDG_STATE_HOME": state, "TERM": "xterm"], unset: ["NO_COLOR"])
        coloured.waitForScreen { $0.last == "[#lobby]" }
        let bob = try plain("bob")
        bob.sendLine("in colour")
        coloured.waitForScreen { $0.contains { $0.hasSuffix("in colour") } }
        let line = coloured.screen(escapes: true).first { $0.contains("in colour") } ?? ""
        XCTAssertTrue(line.contains("\u{1B}["), "a colour code around the nick: \(line.debugDescription)")
        let plainUI = try chat(nick: "cy")  // NO_COLOR=1
        bob.sendLine("no colour")
        plainUI.waitForScreen { $0.contains { $0.hasSuffix("<bob> no colour") } }
        let uncoloured = plainUI.screen(escapes: true).first { $0.contains("no colour") } ?? ""
        XCTAssertFalse(uncoloured.contains("\u{1B}["), uncoloured.debugDescription)
    }

    func testTabCompletesANickOfTheRoom() throws {
        let bob = try plain("bobby")
        bob.sendLine("here")
        let ui = try chat(nick: "ana")
        try ui.type("bo")
        try ui.press("Tab")
        ui.waitForScreen { $0.last == "[#lobby] bobby" }
        try ui.type("hi")
        try ui.press("Enter")
        bob.waitFor("<ana> bobby hi")
        try ui.type("/jo")
        try ui.press("Tab")
        XCTAssertEqual(ui.waitForScreen { $0.last == "[#lobby] /join" }.last, "[#lobby] /join")
    }

    func testJoinSwitchesTheRoomAndQuitLeavesCleanly() throws {
        let watcher = try plain("watcher")
        let ui = try chat(nick: "ana")
        try ui.type("/join #dev")
        try ui.press("Enter")
        XCTAssertEqual(ui.waitForScreen { $0.last == "[#dev]" }.last, "[#dev]")
        try ui.type("/quit see you")
        try ui.press("Enter")
        watcher.waitFor("-!- ana quit (Quit: see you)")
        let deadline = Date().addingTimeInterval(5)
        while ui.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(ui.isRunning, "relay exited and tmux closed its window")
    }

    func testSwitchTopicAndNamesWorkOnTheCurrentRoom() throws {
        let bob = try plain("bob")
        let ui = try chat(nick: "ana")
        for line in ["/join #dev", "/topic release day", "/switch lobby", "/names"] {
            try ui.type(line)
            try ui.press("Enter")
        }
        let screen = ui.waitForScreen { $0.contains { $0.hasSuffix("-!- #lobby: bob, ana") } }
        XCTAssertEqual(screen.last, "[#lobby]", "\(screen)")
        XCTAssertTrue(screen.contains { $0.hasSuffix("-!- ana changed the topic of #dev to: release day") }, "\(screen)")
        try ui.type("back in the lobby")
        try ui.press("Enter")
        bob.waitFor("<ana> back in the lobby")
    }

    func testHistorySurvivesARestart() throws {
        let first = try chat(nick: "ana")
        try first.type("remember me")
        try first.press("Enter")
        try first.press("C-d")
        let deadline = Date().addingTimeInterval(5)
        while first.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: state + "/relay/history"))
        let second = try chat(nick: "ana")
        try second.press("Up")
        XCTAssertEqual(second.waitForScreen { $0.last == "[#lobby] remember me" }.last, "[#lobby] remember me")
    }

    func testCtrlCClearsTheLineAndTwiceInARowQuits() throws {
        let ui = try chat(nick: "ana")
        try ui.type("never mind")
        ui.waitForScreen { $0.last == "[#lobby] never mind" }
        try ui.press("C-c")
        let cleared = ui.waitForScreen { $0.last == "[#lobby]" }
        XCTAssertEqual(cleared.last, "[#lobby]")
        XCTAssertTrue(cleared.contains { $0.hasSuffix("(Ctrl-C again to quit)") }, "\(cleared)")
        try ui.press("C-c")
        let deadline = Date().addingTimeInterval(5)
        while ui.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(ui.isRunning)
    }

    func testALostServerIsReconnectedRejoinedAndQueuedLinesAreSent() throws {
        let port = server.port
        let ui = try chat(nick: "ana", room: "#ops")
        server.stop()
        XCTAssertTrue(ui.waitForScreen { $0.contains { $0.contains("-!- Disconnected (") } }.contains { $0.contains("reconnecting in") })
        try ui.type("said while away")
        try ui.press("Enter")
        ui.waitForScreen { $0.contains { $0.contains("queued, will be sent when back") } }
        server = try RelayProcess(["serve", "--port", String(port), "--flood-rate", "0"])
        try server.waitForStartup()
        let room = try TestClient(port: port)
        room.sendLine("/join ops")
        room.waitFor("-!- You joined #ops (just you)")
        // The backoff may wait a few seconds; then ana is back, in #ops, and her line arrives.
        room.waitFor("-!- ana joined #ops", timeout: 15)
        room.waitFor("<ana> said while away")
        XCTAssertEqual(ui.waitForScreen { $0.last == "[#ops]" }.last, "[#ops]")
    }

    func testAResizeRedrawsThePromptAndTheHalfLine() throws {
        let ui = try chat(nick: "ana")
        let bob = try plain("bob")
        try ui.type("still typing")
        ui.waitForScreen { $0.last == "[#lobby] still typing" }
        try ui.resize(width: 60, height: 15)
        bob.sendLine("after the resize")
        let screen = ui.waitForScreen { $0.contains { $0.hasSuffix("<bob> after the resize") } }
        XCTAssertEqual(screen.last, "[#lobby] still typing", "\(screen)")
        XCTAssertTrue(screen.allSatisfy { $0.count <= 60 })
    }

    func testAPasteOfSeveralLinesSendsEachLine() throws {
        let ui = try chat(nick: "ana")
        let bob = try plain("bob")
        try ui.paste("first pasted\nsecond pasted")
        try ui.press("Enter")
        bob.waitFor("<ana> first pasted")
        bob.waitFor("<ana> second pasted")
    }

    func testTheTerminalIsRestoredOnExit() throws {
        let report = state + "-stty"
        let command = "\(RelayProcess.binary.path) connect irc://127.0.0.1:\(server.port)/#lobby --nick ana; stty -a > \(report); sleep 30"
        let ui = try TmuxSession(command: ["sh", "-c", command],
                                 environment: ["XDG_STATE_HOME": state, "NO_COLOR": "1", "TERM": "xterm"])
        ui.waitForScreen { $0.last == "[#lobby]" }
        try ui.type("/quit")
        try ui.press("Enter")
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: report) && Date() < deadline { usleep(50_000) }
        usleep(100_000)
        let modes = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        defer { unlink(report) }
        XCTAssertTrue(modes.contains(" icanon"), "canonical mode is back: \(modes)")
        XCTAssertTrue(modes.contains(" echo "), "echo is back: \(modes)")
    }
}
