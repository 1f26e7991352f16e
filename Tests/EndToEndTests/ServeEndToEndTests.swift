import Foundation
import Glibc
import XCTest

/// `relay serve` as a user meets it: the real binary on a free loopback port.
final class ServeEndToEndTests: XCTestCase {
    func testStartupLineNamesTheAddressAndPort() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        XCTAssertTrue(server.stderr.hasPrefix("relay: listening on 127.0.0.1:\(server.port)\n"), server.stderr)
    }

    func testListensOnIPv6Loopback() throws {
        let server = try RelayProcess.serve(["--host", "::1"])
        defer { server.stop() }
        XCTAssertTrue(server.waitForStderr("listening on [::1]:"), server.stderr)
        let client = try TestClient(port: server.port, host: "::1")
        client.sendLine("hello")
        client.waitFor { $0.hasPrefix("-!- Welcome") }
    }

    func testASilentNcUserIsGreetedAndPlacedInTheLobby() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        XCTAssertEqual(client.readLine(), "-!- Welcome to relay, guest1! Type to talk, /help for commands.")
        XCTAssertEqual(client.readLine(), "-!- You joined #lobby (just you)")
    }

    func testThreeClientsChatInTheLobbyAndInAnotherRoom() throws {
        try chatInTwoRooms(environment: [:])
    }

    func testTheSameChatWorksOnThePollBackend() throws {
        try chatInTwoRooms(environment: ["RELAY_SELECTOR": "poll"])
    }

    private func chatInTwoRooms(environment: [String: String]) throws {
        let server = try RelayProcess.serve(environment: environment)
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        let cy = try plainUser(server, nick: "cy")
        ana.sendLine("hello lobby")
        bob.waitFor("<ana> hello lobby")
        cy.waitFor("<ana> hello lobby")
        bob.sendLine("/join #dev")
        bob.waitFor("-!- You joined #dev (just you)")
        cy.sendLine("/join dev")
        cy.waitFor("-!- You joined #dev (2 people: @bob, cy)")
        bob.waitFor("-!- cy joined #dev")
        cy.sendLine("in dev now")
        bob.waitFor("<cy> in dev now")
        ana.sendLine("still in the lobby")
        ana.sendLine("/who")
        ana.waitFor("-!- In #lobby (1): ana")
        XCTAssertNil(bob.waitFor(timeout: 0.5) { $0.contains("still in the lobby") }, "#dev hears nothing of #lobby")
    }

    func testHistoryFlagBoundsWhatNewcomersSee() throws {
        let server = try RelayProcess.serve(["--history", "2"])
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        for index in 1...3 { ana.sendLine("note \(index)") }
        ana.sendLine("/who")
        ana.waitFor("-!- In #lobby (1): ana")
        let late = try TestClient(port: server.port)
        late.waitFor("-!- Recent messages in #lobby:")
        XCTAssertEqual(late.readLine(), "<ana> note 2")
        XCTAssertEqual(late.readLine(), "<ana> note 3")
    }

    func testANickChangeIsSeenByOthers() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        ana.waitFor("-!- guest2 is now known as bob")
        bob.sendLine("/nick robert")
        bob.waitFor("-!- You are now known as robert")
        ana.waitFor("-!- bob is now known as robert")
        bob.sendLine("/nick ANA")
        bob.waitFor("-!- The nick ANA is already taken")
    }

    func testAClientThatNeverReadsIsDroppedWhileTwoOthersExchange10000Lines() throws {
        let server = try RelayProcess.serve(["--sendq", "65536", "--flood-rate", "0"])
        defer { server.stop() }
        let sender = try plainUser(server, nick: "sender")
        let reader = try plainUser(server, nick: "reader")
        // The sleeper joins the room and then never reads a byte.
        let sleeper = try TestClient(port: server.port, receiveBuffer: 4096)
        sleeper.sendLine("/nick sleeper")
        reader.waitFor("-!- guest3 joined #lobby")
        let count = 10_000
        // 10,000 lines of ~320 bytes: far more than the sleeper's send queue
        // and the kernel's socket buffers can hold.
        let padding = String(repeating: "p", count: 300)
        let sending = Thread {
            var batch = ""
            for index in 1...count {
                batch += "message number \(index) \(padding)\n"
                if index % 500 == 0 { sender.send(batch); batch = "" }
            }
        }
        sending.start()
        var expected = 1
        var sawDrop = false
        let deadline = Date().addingTimeInterval(60)
        while expected <= count, Date() < deadline, let line = reader.readLine(timeout: 10) {
            if line == "-!- sleeper quit (SendQ exceeded)" { sawDrop = true; continue }
            if line.hasPrefix("<sender> ") {
                XCTAssertEqual(line, "<sender> message number \(expected) \(padding)")
                if line != "<sender> message number \(expected) \(padding)" { break }
                expected += 1
            }
        }
        XCTAssertEqual(expected, count + 1, "every line arrived, in order")
        XCTAssertTrue(sawDrop || reader.waitFor("-!- sleeper quit (SendQ exceeded)"), "the sleeper was dropped with its reason")
    }

    func testAnOverlongLineGetsAnErrorAndTheConnectionStillWorks() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        ana.sendLine(String(repeating: "x", count: 20_000))
        ana.waitFor("-!- Line too long (20000 bytes; the limit is 510), not sent")
        ana.sendLine("short one")
        bob.waitFor("<ana> short one")
    }

    func testHostileBytesNeverCrashTheServer() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        ana.sendBytes([0x00, 0x0D, 0xFF, 0xFE, 0x0A, 0x0D, 0x0D, 0x0A] + Array("a\rb\r\n".utf8))
        ana.sendBytes(Array("@tag=x :src NOTICE ::: \u{1}\n".utf8))
        bob.waitFor("<ana> a")  // a lone CR ends a line
        bob.waitFor("<ana> b")
        ana.sendLine("/msg")
        ana.waitFor("-!- To whom? Usage: /msg NICK TEXT")
        bob.sendLine("alive")
        ana.waitFor("<bob> alive")
    }

    func testAClientThatVanishesWithARSTIsCleanedUpAndAnnounced() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        bob.reset()
        ana.waitFor("-!- bob quit (Connection reset by peer)")
        ana.sendLine("/nick bob")
        ana.waitFor("-!- You are now known as bob")
    }

    func testAClientThatHangsUpIsAnnounced() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        shutdown(bob.fd, Int32(SHUT_WR))
        ana.waitFor("-!- bob quit (Remote host closed the connection)")
    }

    func testQuitSaysGoodbyeAndCloses() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        bob.sendLine("/quit lunch")
        bob.waitFor("-!- Goodbye!")
        XCTAssertTrue(bob.waitForClose())
        ana.waitFor("-!- bob quit (Quit: lunch)")
    }

    func testSIGTERMTellsEveryClientAndExitsZero() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        server.signal(SIGTERM)
        ana.waitFor("-!- Server shutting down")
        bob.waitFor("-!- Server shutting down")
        XCTAssertTrue(ana.waitForClose())
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertTrue(server.stderr.contains("relay: shutting down (SIGTERM)"), server.stderr)
    }

    func testASecondSignalExitsAtOnce() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        // A client that never hangs up keeps the first shutdown waiting up to its bound.
        let stubborn = try plainUser(server, nick: "stubborn")
        server.signal(SIGTERM)
        stubborn.waitFor("-!- Server shutting down")
        let start = Date()
        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(timeout: 5), 128 + SIGTERM)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5, "did not wait for the 2 s bound")
        XCTAssertTrue(server.stderr.contains("relay: second signal; exiting now"), server.stderr)
    }

    func testSIGINTWithAClientThatNeverReadsStillExitsPromptly() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let sleeper = try TestClient(port: server.port, receiveBuffer: 4096)
        sleeper.sendLine("/nick sleeper")
        let talker = try plainUser(server, nick: "talker")
        for _ in 0..<200 { talker.sendLine(String(repeating: "z", count: 400)) }
        usleep(200_000)
        server.signal(SIGINT)
        XCTAssertEqual(server.waitForExit(timeout: 6), 0)
    }

    func testConnectionsOverTheLimitAreRefusedReadably() throws {
        let server = try RelayProcess.serve(["--max-clients", "2"])
        defer { server.stop() }
        let first = try plainUser(server, nick: "one")
        let second = try plainUser(server, nick: "two")
        let third = try TestClient(port: server.port)
        third.waitFor("ERROR :Closing Link: 127.0.0.1 (Server is full: 2 clients; try again later)")
        XCTAssertTrue(third.waitForClose())
        first.sendLine("still fine")
        second.waitFor("<one> still fine")
    }

    func testAnIdleServerUsesNearZeroCPU() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let clients = try (1...3).map { try plainUser(server, nick: "idle\($0)") }
        usleep(200_000)
        let before = server.cpuTicks()
        sleep(3)
        let after = server.cpuTicks()
        // A busy wait would burn ~300 ticks in 3 s; an idle loop burns none.
        XCTAssertLessThanOrEqual(after - before, 3, "ticks used while idle: \(after - before)")
        withExtendedLifetime(clients) {}
    }

    func testRunningOutOfDescriptorsNeitherCrashesNorSpins() throws {
        // A server allowed 32 descriptors, offered 60 connections.
        let server = try RelayProcess(["serve", "--port", "0"], environment: [:], limitDescriptors: 32)
        defer { server.stop() }
        try server.waitForStartup()
        let first = try plainUser(server, nick: "first")
        var crowd: [TestClient] = []
        for _ in 0..<60 { if let client = try? TestClient(port: server.port) { crowd.append(client) } }
        usleep(300_000)
        let before = server.cpuTicks()
        sleep(1)
        XCTAssertLessThanOrEqual(server.cpuTicks() - before, 20, "no busy loop while out of descriptors")
        XCTAssertTrue(server.waitForStderr("warn descriptors-exhausted error=\"accept: Too many open files\""), server.stderr)
        XCTAssertEqual(server.stderr.components(separatedBy: "pausing accepts").count, 2, "said once: \(server.stderr)")
        crowd.removeAll()
        first.sendLine("/who")
        XCTAssertNotNil(first.waitFor { $0.hasPrefix("-!- In #lobby") }, "still serving")
        XCTAssertTrue(server.process.isRunning)
    }

    func testUsageErrorsExitTwo() throws {
        let relay = try RelayProcess(["serve", "--port", "99999"])
        XCTAssertEqual(relay.waitForExit(), 2)
        XCTAssertTrue(relay.stderr.contains("--port must be 0 to 65535"), relay.stderr)
        let unknown = try RelayProcess(["serve", "--bogus"])
        XCTAssertEqual(unknown.waitForExit(), 2)
    }

    func testAPortInUseIsAClearError() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let second = try RelayProcess(["serve", "--port", String(server.port)])
        XCTAssertEqual(second.waitForExit(), 1)
        XCTAssertTrue(second.stderr.contains("Address already in use"), second.stderr)
    }
}

/// `relay serve --log-level/--log-format`: the operator's log on stderr.
final class OperatorLogEndToEndTests: XCTestCase {
    func testJSONLinesSayWhoCameAndWhyTheyLeftNeverWhatTheySaid() throws {
        let server = try RelayProcess.serve(["--log-format", "json"])
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        ana.sendLine("a secret plan")
        ana.sendLine("/quit see you")
        XCTAssertTrue(ana.waitForClose())
        let text = server.waitForStderr { $0.contains("\"event\":\"disconnected\"") }
        let objects = text.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        XCTAssertEqual(objects.map { $0["event"] ?? "" }, ["listening", "connected", "registered", "disconnected"], text)
        XCTAssertEqual(objects.last?["reason"], "Quit")
        XCTAssertEqual(objects.last?["level"], "info")
        XCTAssertNotNil(objects.first?["time"])
        XCTAssertFalse(text.contains("secret") || text.contains("see you"), "no message text at info")
    }

    func testALevelLeavesOutWhatIsBelowIt() throws {
        let server = try RelayProcess.serve(["--log-level", "warn", "--max-clients", "1"])
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let refused = try TestClient(port: server.port)
        XCTAssertTrue(refused.waitForClose())
        XCTAssertTrue(server.waitForStderr("relay: warn refused host=127.0.0.1 reason=\"Server is full: 1 clients; try again later\""),
                      server.stderr)
        XCTAssertFalse(server.stderr.contains("registered"), "info lines are left out at warn")
        _ = ana
        XCTAssertEqual(try RelayRun.run(["serve", "--port", "0", "--log-level", "loud"], timeout: 10).status, 2)
    }
}

/// `--log-level` and `--log-format` on connect and bridge.
final class ClientLogEndToEndTests: XCTestCase {
    func testConnectSaysItsFailureAsJSON() throws {
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(freePort())/#ops", "--send", "x", "--timeout", "3",
                                    "--log-format", "json"], timeout: 15)
        XCTAssertEqual(run.status, 1)
        let object = try JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as? [String: String]
        XCTAssertEqual(object?["level"], "error")
        XCTAssertTrue(object?["message"]?.hasPrefix("connect 127.0.0.1:") == true, run.stderr)
        XCTAssertNotNil(object?["time"])
    }

    func testABridgeAtWarnLeavesOutProgressButRelays() throws {
        let rooms = try TwoRooms()
        defer { rooms.stop() }
        let (ana, bob) = (rooms.ana, rooms.bob)
        let bridge = try RelayProcess(["bridge"] + rooms.urls + ["--nick", "bridge", "--rate", "0", "--log-level", "warn"])
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("quietly")
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix("na> quietly") })
        rooms.b.stop()
        XCTAssertTrue(bridge.waitForStderr("lost"), "a loss is a warning: \(bridge.stderr)")
        XCTAssertFalse(bridge.stderr.contains("connected as"), "progress is info: \(bridge.stderr)")
    }
}
