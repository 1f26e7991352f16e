import Foundation
import RelayClient
import RelayServer
@testable import relay
import XCTest

/// The `relay` target's own logic, tested in process (no binary started).
final class CommandLogicTests: XCTestCase {
    func testAURLPasswordsPlaceInAnArgument() {
        func hidden(_ text: String) -> String? {
            ArgvScrubber.passwordRange(in: Array(text.utf8)).map { String(text.utf8.dropFirst($0.lowerBound).prefix($0.count))! }
        }
        XCTAssertEqual(hidden("irc://bot:s3cret@host:6667/#ops"), "s3cret")
        XCTAssertEqual(hidden("ircs://bot:p@ss:w0rd@[::1]/#x"), "p@ss:w0rd", "the last @ ends the password")
        XCTAssertNil(hidden("irc://bot@host/#ops"), "no password")
        XCTAssertNil(hidden("irc://host:6667/#ops"), "a port is not a password")
        XCTAssertNil(hidden("--nick"))
        XCTAssertNil(hidden("irc://host/#a:b@c"), "only the authority counts")
    }

    func testTheExamplesFollowTheirCommandsHelp() {
        let help = "OVERVIEW: x\n\nUSAGE: relay bridge [<endpoints> ...]\n\nOPTIONS:\n  -h, --help\n"
        let text = HelpExamples.append(to: help)
        XCTAssertTrue(text.hasPrefix(help))
        XCTAssertTrue(text.contains("\nEXAMPLES:\n  Two rooms on two servers, relayed both ways:\n    relay bridge irc://"), text)
        XCTAssertEqual(HelpExamples.append(to: "no usage line"), "no usage line")
        for entry in HelpExamples.byCommand { XCTAssertEqual(entry.examples.count, 3, entry.usage) }
    }

    func testAConfigurationFileBecomesArguments() throws {
        let path = NSTemporaryDirectory() + "relay-logic-\(getpid()).toml"
        defer { unlink(path) }
        try "port = 7000\nmax_per_ip = 3\noper = [\"a\", \"b\"]\ntls_only = false\nflood_rate = 0.5\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ServeConfigFile.arguments(path: path),
                       ["--port", "7000", "--max-per-ip", "3", "--oper", "a", "--oper", "b", "--flood-rate", "0.5"])
        try "config = \"other.toml\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ServeConfigFile.arguments(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path):1: config: a configuration file cannot name another")
        }
    }

    func testWhatAServeReloadCannotApply() throws {
        let running = try Serve.parse(["--port", "6667"])
        XCTAssertEqual(try Serve.parse(["--port", "6667", "--flood-rate", "5"]).restartNeeded(comparedTo: running), [])
        XCTAssertEqual(try Serve.parse(["--port", "7000", "--sendq", "65536", "--log-format", "json"]).restartNeeded(comparedTo: running),
                       ["port", "sendq", "log_format"])
    }

    func testATLSRecordIsToldFromAnIRCLine() {
        XCTAssertTrue(ClientHost.looksLikeTLS([0x15, 0x03, 0x03, 0x00, 0x02][...]), "an alert")
        XCTAssertTrue(ClientHost.looksLikeTLS([0x16, 0x03, 0x01][...]), "a handshake")
        XCTAssertFalse(ClientHost.looksLikeTLS(Array(":srv 001 ana :hi".utf8)[...]))
    }

    func testScriptsAreNeverGivenRelaysSecrets() {
        setenv("RELAY_BRIDGE_SECRET", "x", 1)
        defer { unsetenv("RELAY_BRIDGE_SECRET") }
        let hidden = Secrets.environmentVariables
        for name in ["RELAY_PASSWORD", "RELAY_SASL_PASSWORD", "RELAY_OPER_PASSWORD", "RELAY_BRIDGE_SECRET"] {
            XCTAssertTrue(hidden.contains(name), name)
        }
        XCTAssertFalse(hidden.contains("PATH"))
    }

    func testTheOperatorsLogLinesInBothFormats() {
        let event = ServerLogEvent(.warn, "refused", [("host", "127.0.0.1"), ("reason", "Too many \u{1B}[2J")])
        XCTAssertEqual(OperatorLog(level: .info, format: .text).line(for: event),
                       #"relay: warn refused host=127.0.0.1 reason="Too many \x1b[2J""#)
        let json = OperatorLog(level: .info, format: .json).line(for: event)
        XCTAssertTrue(json.hasPrefix(#"{"time":""#), json)
        XCTAssertTrue(json.hasSuffix(#","level":"warn","event":"refused","host":"127.0.0.1","reason":"Too many \u001b[2J"}"#), json)
    }

    func testTheChatScreenShowsNoControlCharacterFromTheServer() {
        let style = TerminalStyle(colors: false)
        let line = style.format(ChatLine(room: "#o\u{9B}2Jps", nick: "ev\u{1B}]0;x\u{7}il", text: "hi\u{1B}[2J", kind: .message),
                                currentRoom: "#ops")
        XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, line.debugDescription)
        XCTAssertTrue(line.hasSuffix("#o2Jps <ev]0;xil> hi[2J"), line)
    }
}
