import Foundation
import Glibc
import XCTest

/// IRC clients against the real `relay serve` binary, sharing rooms with nc users.
final class IRCEndToEndTests: XCTestCase {
    private func ircClient(_ server: RelayProcess, nick: String, password: String? = nil) throws -> TestClient {
        let client = try TestClient(port: server.port)
        if let password { client.sendLine("PASS \(password)") }
        client.sendLine("NICK \(nick)")
        client.sendLine("USER \(nick) 0 * :\(nick) tester")
        XCTAssertNotNil(client.waitFor { $0.contains(" 376 \(nick) ") || $0.contains(" 422 \(nick) ") }, "registered")
        return client
    }

    func testTwoIRCClientsAndAPlainClientSeeEachOtherInTheirOwnDialects() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"])
        defer { server.stop() }
        let ana = try ircClient(server, nick: "ana")
        let bob = try ircClient(server, nick: "bob")
        let guest = try TestClient(port: server.port)
        guest.waitFor("-!- You joined #lobby (just you)")
        ana.sendLine("JOIN #lobby")
        ana.waitFor(":relay.test 366 ana #lobby :End of /NAMES list")
        bob.sendLine("JOIN #lobby")
        bob.waitFor(":relay.test 353 bob = #lobby :guest1 ana bob")
        guest.sendLine("hello")
        ana.waitFor(":guest1!guest1@127.0.0.1 PRIVMSG #lobby :hello")
        bob.waitFor(":guest1!guest1@127.0.0.1 PRIVMSG #lobby :hello")
        ana.sendLine("PRIVMSG #lobby :hi guest")
        guest.waitFor("<ana> hi guest")
        bob.waitFor(":ana!ana@127.0.0.1 PRIVMSG #lobby :hi guest")
        bob.sendLine("PRIVMSG #lobby :\u{1}ACTION waves\u{1}")
        guest.waitFor("* bob waves")
        guest.sendLine("/me bows")
        ana.waitFor(":guest1!guest1@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION bows\u{1}")
    }

    func testNickChangeAndQuitAreSeenOnceByEachPeer() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"])
        defer { server.stop() }
        let ana = try ircClient(server, nick: "ana")
        let bob = try ircClient(server, nick: "bob")
        ana.sendLine("JOIN #a,#b")
        ana.waitFor(":relay.test 366 ana #b :End of /NAMES list")
        bob.sendLine("JOIN #a,#b")
        ana.waitFor(":bob!bob@127.0.0.1 JOIN #b")
        bob.sendLine("NICK robert")
        bob.sendLine("QUIT :later")
        bob.waitFor("ERROR :Closing Link: 127.0.0.1 (Quit: later)")
        let rest = ana.drain()
        XCTAssertEqual(rest.filter { $0 == ":bob!bob@127.0.0.1 NICK :robert" || $0 == ":bob!bob@127.0.0.1 NICK robert" }.count, 1, "\(rest)")
        XCTAssertEqual(rest.filter { $0 == ":robert!bob@127.0.0.1 QUIT :Quit: later" }.count, 1, "\(rest)")
    }

    func testNetworkMOTDAndOperatorFlags() throws {
        let motd = NSTemporaryDirectory() + "relay-motd-\(getpid())"
        try "be excellent\nto each other\n".write(toFile: motd, atomically: true, encoding: .utf8)
        defer { unlink(motd) }
        let server = try RelayProcess.serve(["--name", "relay.test", "--network", "TestNet", "--motd", motd, "--oper", "root"],
                                            environment: ["RELAY_OPER_PASSWORD": "s3cret"])
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        client.sendLine("NICK ana")
        client.sendLine("USER ana 0 * :Ana")
        client.waitFor(":relay.test 001 ana :Welcome to the TestNet IRC Network ana!ana@127.0.0.1")
        XCTAssertNotNil(client.waitFor { $0.hasPrefix(":relay.test 005 ana ") && $0.contains(" NETWORK=TestNet ") })
        client.waitFor(":relay.test 372 ana :- be excellent")
        client.waitFor(":relay.test 372 ana :- to each other")
        client.sendLine("OPER root s3cret")
        client.waitFor(":relay.test 381 ana :You are now an IRC operator")
    }

    func testAWrongPasswordIsRefused() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"], environment: ["RELAY_PASSWORD": "opensesame"])
        defer { server.stop() }
        let intruder = try TestClient(port: server.port)
        intruder.sendLine("PASS guess")
        intruder.sendLine("NICK intruder")
        intruder.sendLine("USER intruder 0 * :x")
        intruder.waitFor(":relay.test 464 intruder :Password incorrect")
        XCTAssertTrue(intruder.waitForClose())
        _ = try ircClient(server, nick: "friend", password: "opensesame")
        let plain = try TestClient(port: server.port)
        plain.sendLine("opensesame")
        XCTAssertNotNil(plain.waitFor { $0.hasPrefix("-!- Welcome") })
    }

    func testChannelModesKeyInviteLimitBanAndModerated() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"])
        defer { server.stop() }
        let op = try ircClient(server, nick: "op")
        let bob = try ircClient(server, nick: "bob")
        let cy = try ircClient(server, nick: "cy")
        op.sendLine("JOIN #ops")
        op.waitFor(":relay.test 366 op #ops :End of /NAMES list")
        op.sendLine("MODE #ops +k sesame")
        op.waitFor(":op!op@127.0.0.1 MODE #ops +k sesame")
        bob.sendLine("JOIN #ops")
        bob.waitFor(":relay.test 475 bob #ops :Cannot join channel (+k)")
        bob.sendLine("JOIN #ops sesame")
        bob.waitFor(":bob!bob@127.0.0.1 JOIN #ops")
        op.sendLine("MODE #ops -k+l * 2")
        op.waitFor(":op!op@127.0.0.1 MODE #ops -k+l * 2")
        cy.sendLine("JOIN #ops")
        cy.waitFor(":relay.test 471 cy #ops :Cannot join channel (+l)")
        op.sendLine("MODE #ops -l+i")
        op.waitFor(":op!op@127.0.0.1 MODE #ops -l+i")
        cy.sendLine("JOIN #ops")
        cy.waitFor(":relay.test 473 cy #ops :Cannot join channel (+i)")
        op.sendLine("INVITE cy #ops")
        op.waitFor(":relay.test 341 op cy #ops")
        cy.waitFor(":op!op@127.0.0.1 INVITE cy #ops")
        cy.sendLine("JOIN #ops")
        cy.waitFor(":cy!cy@127.0.0.1 JOIN #ops")
        op.sendLine("MODE #ops +m")
        bob.waitFor(":op!op@127.0.0.1 MODE #ops +m")
        bob.sendLine("PRIVMSG #ops :can I talk?")
        bob.waitFor(":relay.test 404 bob #ops :Cannot send to channel (moderated)")
        op.sendLine("KICK #ops cy :bye")
        cy.waitFor(":op!op@127.0.0.1 KICK #ops cy :bye")
        op.sendLine("MODE #ops -i+b cy")
        op.waitFor(":op!op@127.0.0.1 MODE #ops -i+b cy!*@*")
        cy.sendLine("JOIN #ops")
        cy.waitFor(":relay.test 474 cy #ops :Cannot join channel (+b)")
    }

    func testASilentClientIsDroppedWithPingTimeout() throws {
        let server = try RelayProcess.serve(["--name", "relay.test", "--ping-interval", "2"])
        defer { server.stop() }
        let watcher = try ircClient(server, nick: "watcher")
        let silent = try ircClient(server, nick: "silent")
        watcher.sendLine("JOIN #w")
        silent.sendLine("JOIN #w")
        silent.waitFor("PING :relay.test", timeout: 5)
        // The watcher answers its PINGs; the silent one never does.
        let deadline = Date().addingTimeInterval(15)
        var dropped = false
        while !dropped && Date() < deadline {
            guard let line = watcher.readLine(timeout: 0.2) else { continue }
            if line.hasPrefix("PING ") { watcher.sendLine("PONG :relay.test") }
            dropped = line.hasPrefix(":silent!silent@127.0.0.1 QUIT :Ping timeout")
        }
        XCTAssertTrue(dropped)
        XCTAssertTrue(silent.waitForClose())
    }

    func testFloodControlDelaysButLosesNothing() throws {
        let server = try RelayProcess.serve(["--name", "relay.test", "--flood-burst", "10", "--flood-rate", "50"])
        defer { server.stop() }
        let sender = try ircClient(server, nick: "sender")
        let reader = try ircClient(server, nick: "reader")
        var batch = ""
        for index in 1...200 { batch += "PRIVMSG reader :line \(index)\r\n" }
        let start = Date()
        sender.send(batch)
        for index in 1...200 {
            guard reader.waitFor(timeout: 10, { $0.hasPrefix(":sender!") }) == ":sender!sender@127.0.0.1 PRIVMSG reader :line \(index)" else {
                return XCTFail("line \(index) missing or out of order")
            }
        }
        // 190 lines beyond the burst at 50 per second take at least 3.8 s.
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 3.0, "the lines were paced")
        XCTAssertEqual(server.process.isRunning, true)
    }

    func testInteroperatesWithBotsWrittenWithPythonIrc() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"])
        defer { server.stop() }
        let plain = try TestClient(port: server.port)
        plain.sendLine("/join #interop")
        plain.waitFor("-!- You joined #interop (just you)")
        let bots = try PythonBots("python_irc_bots.py", [String(server.port), "#interop"])
        plain.waitFor("-!- bobby joined #interop", timeout: 10)
        plain.waitFor("<alice> hello from alice")
        plain.waitFor("* alice waves at bobby")
        plain.sendLine("ping from plain")
        plain.waitFor("-!- bobby is now known as bobby2")
        plain.waitFor("-!- bobby2 quit (Quit: done here)")
        bots.finish(within: 25)
    }
}

/// Issue 11's wire-level promises: one truncated line for a message too long
/// once prefixed, however it arrives; one list for a MODE line of 400 "b"s.
final class IRCConformanceEndToEndTests: XCTestCase {
    func testAnOverlongMessageArrivesAsOneLineCutAtACharacterWhateverTheChunking() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let reader = try ircUser(port: server.port, nick: "reader", room: "#x")
        let writer = try ircUser(port: server.port, nick: "writer", room: "#x")
        // 510 bytes with its CRLF: the longest input line; with ":writer!writer@127.0.0.1 " it no longer fits.
        let head = "PRIVMSG #x :"
        var body = ""
        for character in String(repeating: "ž😀", count: 200) where body.utf8.count + character.utf8.count <= 510 - head.utf8.count {
            body.append(character)
        }
        let line = Array((head + body + "\r\n").utf8)
        let chunkings: [[[UInt8]]] = [
            [line],
            line.map { [$0] },
            Array((head + body).unicodeScalars.map { Array(String($0).utf8) }) + [[13, 10]],
        ]
        for chunks in chunkings {
            for chunk in chunks { writer.sendBytes(chunk) }
            let got = reader.waitFor { $0.hasPrefix(":writer!") && $0.contains(" PRIVMSG ") }
            XCTAssertNotNil(got)
            guard let got else { continue }
            XCTAssertLessThanOrEqual(got.utf8.count + 2, 512)
            XCTAssertFalse(got.contains("\u{FFFD}"))
            guard let range = got.range(of: " PRIVMSG #x ") else { XCTFail(got); continue }
            var text = String(got[range.upperBound...])
            if text.hasPrefix(":") { text.removeFirst() }
            XCTAssertTrue(body.hasPrefix(text) && text.utf8.count > 400, "a cut, at a character boundary")
            XCTAssertNil(reader.waitFor(timeout: 0.3) { $0.hasPrefix(":writer!") }, "never a second line")
        }
    }

    func testAModeLineOf400BsAgainstAFullBanListSendsTheListOnceAndOthersAreServed() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])
        defer { server.stop() }
        let op = try ircUser(port: server.port, nick: "op", room: "#x")
        for index in 0..<100 { op.sendLine("MODE #x +b ban\(index)!*@*") }
        op.sendLine("MODE #x +b onemore!*@*")
        XCTAssertNotNil(op.waitFor { $0.contains(" 478 op #x b ") }, "the list is full at 100")
        let other = try ircUser(port: server.port, nick: "other", room: "#y")
        op.sendLine("MODE #x " + String(repeating: "b", count: 400))
        other.sendLine("PING :still-here")
        XCTAssertNotNil(other.waitFor { $0.hasSuffix("PONG test.server :still-here") || $0.hasSuffix(":still-here") })
        var entries = 0, ends = 0
        while let line = op.readLine(timeout: 1) {
            if line.contains(" 367 op #x ") { entries += 1 }
            if line.contains(" 368 op #x ") { ends += 1 }
        }
        XCTAssertEqual(entries, 100)
        XCTAssertEqual(ends, 1, "one list for the whole line")
    }
}
