import Foundation
import Glibc
import XCTest

/// A plain line-chat server started for a test: `ncat --chat` or the Python
/// select chat room in Interop/, on a free loopback port; stopped at the end.
final class PlainChatServer {
    private let process = Process()
    /// ncat reads its stdin too, and ends at its EOF: a pipe kept open while it runs.
    private let input = Pipe()
    let port: Int

    init(ncat: Bool, port: Int = freePort(), echo: Bool = false) throws {
        self.port = port
        let ncatPath = "/usr/bin/ncat", python = "/usr/bin/python3"
        if ncat {
            guard FileManager.default.isExecutableFile(atPath: ncatPath) else { throw XCTSkip("needs ncat (.ci/run installs it)") }
            process.executableURL = URL(fileURLWithPath: ncatPath)
            process.arguments = ["-l", "--chat", "127.0.0.1", String(port)]
        } else {
            guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("needs python3") }
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Interop/plain_chat_server.py").path, String(port)] + (echo ? ["--echo"] : [])
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = input
        try process.run()
        // Ready once it accepts.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let probe = try? TestClient(port: port) {
                probe.close()
                usleep(200_000)  // ncat greets the probe; a write to it once closed can end ncat: let it see the close first
                return
            }
            usleep(50_000)
        }
        stop()
        XCTFail("the chat server did not start on \(port)")
    }

    /// A person in the room (ncat greets with its <announce> lines; they are read past).
    func person() throws -> TestClient { try TestClient(port: port) }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// tcp:// targets: `relay connect` and `relay bridge` with plain chat servers.
final class PlainChatEndToEndTests: XCTestCase {
    private let z = "\u{200B}"

    func testConnectSendsToNcatChat() throws {
        let chat = try PlainChatServer(ncat: true)
        defer { chat.stop() }
        let person = try chat.person()
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("<announce> already connected") })
        let run = try RelayRun.run(["connect", "tcp://127.0.0.1:\(chat.port)", "--send", "backup done"], timeout: 20)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("<user") && $0.hasSuffix("> backup done") })
    }

    func testConnectPipesAndReadsTheSelectChatRoom() throws {
        let chat = try PlainChatServer(ncat: false)
        defer { chat.stop() }
        let person = try chat.person()
        usleep(200_000)
        let run = try RelayRun.run(["connect", "tcp://127.0.0.1:\(chat.port)"], stdin: "first\nsecond\n", timeout: 20)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(person.readLine(timeout: 5), "first")
        XCTAssertEqual(person.readLine(timeout: 5), "second")

        let reader = try RelayProcess(["connect", "tcp://127.0.0.1:\(chat.port)/#room", "--json", "--stay"])
        defer { reader.stop() }
        usleep(500_000)
        person.sendLine("<bob> hi there")
        person.sendLine("no speaker")
        var output = ""
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, output.components(separatedBy: "\n").count < 3 {
            output += String(decoding: reader.stdout.availableData, as: UTF8.self)
        }
        XCTAssertTrue(output.contains(##""type":"message","room":"#room","nick":"bob","text":"hi there""##), output)
        XCTAssertTrue(output.contains(#""nick":"127.0.0.1","text":"no speaker""#), output)
    }

    func testAMistypedPortEndsPromptlyWithOneLine() throws {
        let run = try RelayRun.run(["connect", "tcp://127.0.0.1:\(freePort())", "--send", "x", "--timeout", "5"], timeout: 20)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("Connection refused"), run.stderr)
        XCTAssertFalse(run.stderr.contains("ircs://"), "no TLS hint for a plain server: \(run.stderr)")
    }

    /// An IRC room and an ncat --chat room, both ways.
    func testABridgeJoinsAnIRCRoomWithNcatChat() throws {
        let irc = try RelayProcess.serve()
        let chat = try PlainChatServer(ncat: true)
        defer { irc.stop(); chat.stop() }
        let ana = try ircMember(irc)
        let person = try chat.person()
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(irc.port)/#dev", "tcp://127.0.0.1:\(chat.port)",
                                       "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        XCTAssertTrue(ana.waitFor("-!- bridge joined #dev", timeout: 10))
        XCTAssertNotNil(person.waitFor(timeout: 10) { $0.contains("is connected as") })
        ana.sendLine("hello plain people")
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("<user") && $0.hasSuffix("> <ana> hello plain people") },
                        "no zero-width marks on a plain server")
        person.sendLine("hello irc people")
        XCTAssertNotNil(ana.waitFor { $0.hasPrefix("<bridge> \(z)<u\(z)ser") && $0.hasSuffix("> hello irc people") })
    }

    /// The select chat room echoes to its sender too: nothing loops. It goes
    /// away; what the IRC room says meanwhile arrives, in order, once it is back.
    func testABridgeWithAnEchoingServerThatRestarts() throws {
        let irc = try RelayProcess.serve()
        var chat = try PlainChatServer(ncat: false, echo: true)
        defer { irc.stop(); chat.stop() }
        let ana = try ircMember(irc)
        var person = try chat.person()
        let bridge = try RelayProcess(["bridge", "irc://127.0.0.1:\(irc.port)/#dev", "tcp://127.0.0.1:\(chat.port)",
                                       "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        XCTAssertTrue(ana.waitFor("-!- bridge joined #dev", timeout: 10))
        XCTAssertTrue(bridge.waitForStderr("joined #chat", timeout: 10), bridge.stderr)
        ana.sendLine("one")
        XCTAssertEqual(person.readLine(timeout: 5), "<ana> one")
        person.sendLine("two")
        XCTAssertEqual(ana.waitFor { $0.hasPrefix("<bridge>") }, "<bridge> \(z)<1\(z)27.0.0.1:\(chat.port)> two")
        XCTAssertEqual(person.drain(quiet: 0.5), ["two"], "its own echo only; <ana> one came once")
        XCTAssertEqual(ana.drain(quiet: 0.5).filter { $0.hasPrefix("<bridge>") }, [], "nothing looped")

        let port = chat.port
        chat.stop()
        XCTAssertTrue(bridge.waitForStderr("reconnecting in", timeout: 10), bridge.stderr)
        for index in 1...3 { ana.sendLine("while down \(index)") }
        chat = try PlainChatServer(ncat: false, port: port, echo: true)
        person = try chat.person()
        for index in 1...3 { XCTAssertEqual(person.readLine(timeout: 15), "<ana> while down \(index)") }
    }

    private func ircMember(_ server: RelayProcess) throws -> TestClient {
        let client = try TestClient(port: server.port)
        client.sendLine("/nick ana")
        client.sendLine("/join #dev")
        XCTAssertNotNil(client.waitFor { $0.hasPrefix("-!- You joined #dev") })
        return client
    }
}
