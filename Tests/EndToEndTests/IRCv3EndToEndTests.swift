import Foundation
import Glibc
import XCTest

/// IRCv3 with the real binary: a raw client negotiating with `relay serve`,
/// and `relay connect` negotiating with `relay serve` and with InspIRCd 3's
/// IRCv3 modules.
final class IRCv3EndToEndTests: XCTestCase {
    /// A raw client that negotiated `caps` and joined `room`.
    private func v3Client(port: Int, nick: String, caps: String, room: String) throws -> TestClient {
        let client = try TestClient(port: port)
        client.sendLine("CAP LS 302")
        XCTAssertNotNil(client.waitFor { $0.contains(" CAP * LS :") && $0.contains("echo-message") })
        client.sendLine("CAP REQ :\(caps)")
        XCTAssertNotNil(client.waitFor { $0.hasSuffix(" CAP * ACK :\(caps)") }, "\(nick) ACK")
        client.sendLine("NICK \(nick)")
        client.sendLine("USER \(nick) 0 * :\(nick)")
        client.sendLine("CAP END")
        client.sendLine("JOIN \(room)")
        XCTAssertNotNil(client.waitFor { $0.contains(" 366 \(nick) ") }, "\(nick) joined")
        return client
    }

    func testARawClientGetsTagsEchoesAndLabelsWhileAPlainUserGetsText() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try v3Client(port: server.port, nick: "ana",
                               caps: "server-time message-tags echo-message labeled-response batch", room: "#lobby")
        let pia = try plainUser(server, nick: "pia")
        _ = pia.drain()
        ana.sendLine("@label=L1;+draft/reply=x PRIVMSG #lobby :hello everyone")
        let echo = try XCTUnwrap(ana.waitFor { $0.contains(" PRIVMSG #lobby ") })
        XCTAssertTrue(echo.hasPrefix("@label=L1;"), echo)
        XCTAssertTrue(echo.contains(";msgid=") && echo.contains(";time=20"), echo)
        XCTAssertTrue(echo.hasSuffix(" :ana!ana@127.0.0.1 PRIVMSG #lobby :hello everyone"), echo)
        XCTAssertTrue(pia.waitFor("<ana> hello everyone"))

        // History a late IRCv3 client asks for, with the time it was said.
        ana.sendLine("CHATHISTORY LATEST #lobby * 10")
        let open = try XCTUnwrap(ana.waitFor { $0.contains(" BATCH +") })
        XCTAssertTrue(open.hasSuffix(" chathistory #lobby"), open)
        let played = try XCTUnwrap(ana.waitFor { $0.contains(" PRIVMSG #lobby ") })
        XCTAssertTrue(played.contains("hello everyone") && played.hasPrefix("@batch="), played)
        XCTAssertNotNil(ana.waitFor { $0.contains(" BATCH -") })
    }

    func testEveryCapabilityListedCanBeNegotiatedAloneAndListed() throws {
        let server = try RelayProcess.serve(["--flood-rate", "0"])  // 60 lines at once
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        client.sendLine("CAP LS 302")
        let listing = try XCTUnwrap(client.waitFor { $0.contains(" CAP * LS :") })
        let names = listing.split(separator: ":").last!.split(separator: " ").map { String($0.split(separator: "=")[0]) }
        XCTAssertGreaterThanOrEqual(names.count, 20)
        for name in names where name != "cap-notify" {
            client.sendLine("CAP REQ \(name)")
            XCTAssertNotNil(client.waitFor { $0.hasSuffix(" CAP * ACK :\(name)") }, name)
            client.sendLine("CAP LIST")
            XCTAssertNotNil(client.waitFor { $0.contains(" CAP * LIST :") && $0.split(separator: ":").last!.split(separator: " ").contains(Substring(name)) },
                            name)
            client.sendLine("CAP REQ -\(name)")
            XCTAssertNotNil(client.waitFor { $0.hasSuffix(" CAP * ACK :-\(name)") }, name)
        }
        client.sendLine("NICK ana")
        client.sendLine("USER ana 0 * :Ana")
        client.sendLine("CAP END")
        XCTAssertNotNil(client.waitFor { $0.contains(" 001 ana ") })
    }

    func testBotsWrittenWithPythonIrcUseTheCapabilitiesThatAddNoTags() throws {
        let server = try RelayProcess.serve(["--name", "relay.test"])
        defer { server.stop() }
        try PythonBots("python_irc_ircv3.py", [String(server.port), "#v3"]).finish(within: 30)
    }

    func testSTSTellsAPlainClientTheRealTLSPort() throws {
        let server = try RelayProcess.serve(["--tls-cert", TestCertificates.path("server.pem"),
                                             "--tls-key", TestCertificates.path("server.key"), "--sts-duration", "3600"])
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        client.sendLine("CAP LS 302")
        let listing = try XCTUnwrap(client.waitFor { $0.contains(" CAP * LS :") })
        let sts = try XCTUnwrap(listing.split(separator: " ").first { $0.hasPrefix("sts=port=") })
        let tlsPort = try XCTUnwrap(Int(sts.dropFirst(9)))
        XCTAssertEqual(tlsPort, server.tlsPort, "the port it listens on, not the 0 it was given")
        let secure = try TestClient(port: tlsPort, tls: TestCertificates.trusting())
        secure.sendLine("CAP LS 302")
        XCTAssertNotNil(secure.waitFor { $0.contains(" CAP * LS :") && $0.hasSuffix(" sts=duration=3600") })

        let refused = try RelayRun.run(["serve", "--port", "0", "--sts-duration", "3600"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--sts-duration needs --tls-cert and --tls-key"), refused.stderr)
    }

    func testConnectConfirmsBySeeingItsEchoNotByPing() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let bob = try ircUser(port: server.port, nick: "bob", room: "#ops")
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "cron",
                                    "--send", "deploy done", "--trace"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix(" PRIVMSG #ops :deploy done") })
        let trace = run.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(trace.contains { $0.hasPrefix(">> CAP REQ ") && $0.contains("echo-message") }, run.stderr)
        XCTAssertTrue(trace.contains { $0.hasPrefix("<< @") && $0.contains(" PRIVMSG #ops :deploy done") }, "the echo: \(run.stderr)")
        XCTAssertFalse(run.stderr.contains("PING :relay-confirm"), "the echo confirmed it")
    }

    func testARefusedSendStillEndsPromptlyWithEchoMessage() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        // +m: the room refuses what cron says (404), which is the answer instead of an echo.
        let op = try ircUser(port: server.port, nick: "op", room: "#quiet")
        op.sendLine("MODE #quiet +m")
        XCTAssertNotNil(op.waitFor { $0.contains(" MODE #quiet +m") })
        let started = Date()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#quiet", "--nick", "cron", "--send", "x"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("Cannot send to channel"), run.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }
}

/// The bridge on servers with draft/relaymsg (relay serve offers it): relayed
/// lines appear as their speakers', where the bridge may.
final class RelaymsgBridgeEndToEndTests: XCTestCase {
    private let z = "\u{200B}"

    /// Waits until `nick` holds op in `room` on `server`.
    private func waitForOp(_ server: RelayProcess, _ nick: String, in room: String) throws {
        let probe = try TestClient(port: server.port)
        probe.sendLine("NICK probe\(server.port)")
        probe.sendLine("USER p 0 * :p")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            probe.sendLine("NAMES \(room)")
            if probe.waitFor(timeout: 1, { $0.contains(" 353 ") && $0.contains("@\(nick)") }) != nil { return }
        }
        XCTFail("\(nick) never held op in \(room)")
    }

    func testRelayedLinesShowTheirSpeakerWhereTheBridgeIsAnOperator() throws {
        let a = try RelayProcess.serve(), b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        // The bridge is first in both rooms: their operator, so RELAYMSG is its to use.
        let bridge = try RelayProcess(["bridge", "irc://localhost:\(a.port)/#dev", "irc://localhost:\(b.port)/#dev",
                                       "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        try waitForOp(a, "bridge", in: "#dev")
        try waitForOp(b, "bridge", in: "#dev")
        let ana = try plainUser(a, nick: "ana"), bob = try plainUser(b, nick: "bob")
        ana.sendLine("/join #dev")
        bob.sendLine("/join #dev")
        XCTAssertNotNil(ana.waitFor { $0.hasPrefix("-!- You joined #dev") })
        XCTAssertNotNil(bob.waitFor { $0.hasPrefix("-!- You joined #dev") })
        ana.sendLine("hello from a")
        XCTAssertTrue(bob.waitFor("<ana/localhost> \(z)hello from a"))
        bob.sendLine("/me waves")
        XCTAssertTrue(ana.waitFor("* bob/localhost \(z)waves"))
        XCTAssertTrue(ana.drain().allSatisfy { !$0.contains("hello from a") }, "nothing comes back")
    }

    func testWhereTheBridgeMayNotItFallsBackToItsOwnLines() throws {
        let a = try RelayProcess.serve(), b = try RelayProcess.serve()
        defer { a.stop(); b.stop() }
        let ana = try plainUser(a, nick: "ana"), bob = try plainUser(b, nick: "bob")
        ana.sendLine("/join #dev")
        bob.sendLine("/join #dev")  // bob holds op on b: the bridge does not
        XCTAssertNotNil(bob.waitFor { $0.hasPrefix("-!- You joined #dev") })
        let bridge = try RelayProcess(["bridge", "irc://localhost:\(a.port)/#dev", "irc://localhost:\(b.port)/#dev",
                                       "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        XCTAssertTrue(ana.waitFor("-!- bridge joined #dev", timeout: 10))
        XCTAssertTrue(bob.waitFor("-!- bridge joined #dev", timeout: 10))
        for index in 1...3 { ana.sendLine("line \(index)") }
        for index in 1...3 { XCTAssertTrue(bob.waitFor("<bridge> \(z)<a\(z)na> line \(index)"), "refused, then sent as the bridge's, in order") }
    }
}

/// relay's client against InspIRCd 3 with its IRCv3 modules loaded.
final class InspircdIRCv3InteropTests: XCTestCase {
    private var network: InspircdAtheme!

    override func setUpWithError() throws {
        network = try InspircdAtheme()
    }

    override func tearDown() {
        network = nil
    }

    func testConnectNegotiatesAndIsConfirmedByInspircdsEcho() throws {
        let room = try network.watcher()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "cron",
                                    "--send", "from relay", "--trace"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix(" PRIVMSG #interop :from relay") })
        let ack = run.stderr.split(separator: "\n").first { $0.contains(" CAP ") && $0.contains(" ACK ") }.map(String.init) ?? ""
        for cap in ["server-time", "message-tags", "echo-message", "batch"] { XCTAssertTrue(ack.contains(cap), "\(cap): \(ack)") }
        XCTAssertFalse(run.stderr.contains("PING :relay-confirm"), "InspIRCd's echo confirmed it: \(run.stderr)")
    }

    func testABotSetsInspircdsBotMode() throws {
        let watcher = try network.watcher()
        let bot = try RelayProcess(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "helper",
                                    "--on", "!ping=echo pong"])
        defer { bot.stop() }
        XCTAssertNotNil(watcher.waitFor(timeout: 10) { $0.hasPrefix(":helper!") && $0.contains(" JOIN ") })
        var whois: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !whois.contains(where: { $0.contains(" 335 ") }) {
            watcher.sendLine("WHOIS helper")
            while let line = watcher.readLine(timeout: 1), !line.contains(" 318 ") { whois.append(line) }
        }
        XCTAssertTrue(whois.contains { $0.contains(" 335 watcher helper ") }, "WHOIS says it is a bot: \(whois)")
    }
}
