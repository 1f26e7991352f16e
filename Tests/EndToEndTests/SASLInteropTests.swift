import Foundation
import Glibc
import XCTest

/// SASL and NickServ against real software: InspIRCd 3 with m_sasl, and
/// Atheme's SaslServ and NickServ behind it.
final class SASLInteropTests: XCTestCase {
    private var network: InspircdAtheme!
    private var directory = ""

    override func setUpWithError() throws {
        network = try InspircdAtheme()
        directory = network.directory
    }

    override func tearDown() {
        network = nil
    }

    private func secret(_ text: String) throws -> String {
        let path = directory + "/secret-\(UInt32.random(in: 0...UInt32.max))"
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)  // as a password file should be (relay warns otherwise)
        return path
    }

    private var trust: [String] { ["--ca-file", TestCertificates.path("ca.pem")] }

    func testSASLPlainLogsInBeforeJoiningAndDelivers() throws {
        try network.register(account: "ana", password: "s3cretpw")
        let room = try network.watcher()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "cron",
                                    "--sasl-user", "ana", "--sasl-password-file", secret("s3cretpw"),
                                    "--send", "logged in", "--trace"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix(" PRIVMSG #interop :logged in") })
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let success = lines.firstIndex { $0.hasPrefix("<< ") && $0.contains(" 903 cron ") }
        let join = lines.firstIndex { $0 == ">> JOIN #interop" }
        XCTAssertNotNil(success, run.stderr)
        XCTAssertLessThan(success ?? .max, join ?? -1, "joined only after 903")
        XCTAssertTrue(lines.contains(">> AUTHENTICATE ****"), "the payload is masked in --trace")
        XCTAssertFalse(run.stderr.contains(Base64Probe.plain("ana", "s3cretpw")))
    }

    func testAWrongPasswordExitsThreeWithTheServersReason() throws {
        try network.register(account: "ana", password: "s3cretpw")
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "cron",
                                    "--sasl-user", "ana", "--sasl-password-file", secret("wrong"), "--send", "x"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertEqual(run.stderr, "relay: 127.0.0.1:\(network.port): SASL: the server refused the login: SASL authentication failed\n")
    }

    func testSASLOptionalGoesOnWithoutALogin() throws {
        let room = try network.watcher()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "cron",
                                    "--sasl-user", "nobody", "--sasl-password-file", secret("x"), "--sasl-optional",
                                    "--send", "anyway"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasSuffix(" PRIVMSG #interop :anyway") })
    }

    func testSASLExternalWithTheRegisteredCertificateOverTLS() throws {
        try network.register(account: "ana", password: "s3cretpw", certificate: "client")
        let room = try network.watcher()
        let client = ["--client-cert", TestCertificates.path("client.pem"), "--client-key", TestCertificates.path("client.key")]
        let run = try RelayRun.run(["connect", "ircs://localhost:\(network.tlsPort)/#interop", "--nick", "certbot",
                                    "--sasl", "external", "--send", "by certificate"] + trust + client)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":certbot!") && $0.hasSuffix(" PRIVMSG #interop :by certificate") })

        // Another certificate is nobody's: refused, exit 3.
        let stranger = ["--client-cert", TestCertificates.path("wrong.pem"), "--client-key", TestCertificates.path("wrong.key")]
        let refused = try RelayRun.run(["connect", "ircs://localhost:\(network.tlsPort)/#interop", "--nick", "certbot",
                                        "--sasl", "external", "--send", "x"] + trust + stranger)
        XCTAssertEqual(refused.status, 3, refused.stderr)
        XCTAssertEqual(refused.stderr,
                       "relay: localhost:\(network.tlsPort): SASL: the server refused the login: SASL authentication failed\n")
    }

    func testAReconnectAuthenticatesAgainBeforeRejoining() throws {
        try network.register(account: "ana", password: "s3cretpw")
        let room = try network.watcher()
        let logger = try RelayProcess(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "logbot", "--stay",
                                       "--sasl-user", "ana", "--sasl-password-file", secret("s3cretpw"), "--trace"])
        defer { logger.stop() }
        XCTAssertNotNil(room.waitFor(timeout: 10) { $0.hasPrefix(":logbot!") && $0.hasSuffix(" JOIN :#interop") })
        room.sendLine("OPER admin operpw")
        room.waitFor { $0.contains(" 381 ") }
        room.sendLine("KILL logbot :come back")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":logbot!") && $0.contains(" QUIT ") })
        XCTAssertNotNil(room.waitFor(timeout: 20) { $0.hasPrefix(":logbot!") && $0.hasSuffix(" JOIN :#interop") }, "rejoined")
        let trace = logger.waitForStderr { $0.components(separatedBy: " 903 logbot ").count == 3 }
        XCTAssertEqual(trace.components(separatedBy: " 903 logbot ").count, 3, "two logins, one per connection: \(trace)")
    }

    func testABridgeLogsInWithSASLOverTLSFromItsConfigFile() throws {
        try network.register(account: "relaybot", password: "bridgepw")
        let irc = try network.watcher()
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let person = try TestClient(port: server.port)
        person.sendLine("/nick bob")
        person.sendLine("/join #dev")
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("-!- You joined #dev") })
        let config = directory + "/bridge.toml"
        try """
            nick = "bridge"
            rate = 0

            [networks.insp]
            host = "localhost"
            port = \(network.tlsPort)
            tls = true
            ca_file = "\(TestCertificates.path("ca.pem"))"
            sasl_user = "relaybot"
            sasl_password_file = "\(try secret("bridgepw"))"

            [networks.local]
            host = "127.0.0.1"
            port = \(server.port)

            [[groups]]
            members = ["insp/#interop", "local/#dev"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let bridge = try RelayProcess(["bridge", "--config", config])
        defer { bridge.stop() }
        XCTAssertNotNil(irc.waitFor(timeout: 10) { $0.hasPrefix(":bridge!") && $0.hasSuffix(" JOIN :#interop") })
        irc.sendLine("WHOIS bridge")
        var whois: [String] = []
        irc.waitFor { whois.append($0); return $0.contains(" 318 ") }
        XCTAssertTrue(whois.contains { $0.contains(" 330 watcher bridge relaybot :") }, "logged in as relaybot: \(whois)")
        XCTAssertTrue(whois.contains { $0.contains(" 671 watcher bridge :") }, "on TLS: \(whois)")
        person.waitFor("-!- bridge joined #dev")
        irc.sendLine("PRIVMSG #interop :from insp")
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("<bridge> ") && $0.hasSuffix("atcher> from insp") })
    }

    func testNickServIdentifyWhereSASLIsNotUsed() throws {
        try network.register(account: "ana", password: "s3cretpw")
        let room = try network.watcher()
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "ana",
                                    "--nickserv-password-file", secret("s3cretpw"), "--send", "identified", "--trace"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":ana!") && $0.hasSuffix(" PRIVMSG #interop :identified") })
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let answer = lines.firstIndex { $0.contains("NOTICE ana :You are now identified") }
        let join = lines.firstIndex { $0 == ">> JOIN #interop" }
        XCTAssertLessThan(answer ?? .max, join ?? -1, "joined once NickServ answered: \(run.stderr)")
        XCTAssertTrue(lines.contains(">> PRIVMSG NickServ :IDENTIFY ****"))

        let refused = try RelayRun.run(["connect", "irc://127.0.0.1:\(network.port)/#interop", "--nick", "ana",
                                        "--nickserv-password-file", secret("wrong"), "--send", "x"])
        XCTAssertEqual(refused.status, 3, refused.stderr)
        XCTAssertEqual(refused.stderr, "relay: 127.0.0.1:\(network.port): NickServ: Invalid password for \u{2}ana\u{2}.\n")
    }
}

/// The Base64 of a PLAIN payload, to prove --trace never shows it.
enum Base64Probe {
    static func plain(_ user: String, _ password: String) -> String {
        Data("\(user)\0\(user)\0\(password)".utf8).base64EncodedString()
    }
}
