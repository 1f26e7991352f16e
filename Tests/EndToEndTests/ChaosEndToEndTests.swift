import Foundation
import Glibc
import XCTest

/// Hostile input mixed with real conversation against `relay serve`: clients
/// sending random bytes (invalid UTF-8, NUL, lone CR, 16 KB tags, every command
/// with random arguments) beside IRC and plain chatters. The chatters lose
/// nothing and see every line in order; the server never crashes.
/// RELAY_CHAOS_SECONDS sets the length (60 by default; the soak script runs longer).
final class ChaosEndToEndTests: XCTestCase {
    private static let commands = ["NICK", "USER", "JOIN", "PART", "PRIVMSG", "NOTICE", "MODE", "TOPIC", "KICK", "INVITE",
                                   "NAMES", "LIST", "WHO", "WHOIS", "WHOWAS", "AWAY", "OPER", "KILL", "PING", "PONG", "QUIT",
                                   "CAP", "PASS", "ISON", "USERHOST", "LUSERS", "MOTD", "VERSION", "TIME", "HELPOP", "LINKS",
                                   "/nick", "/join", "/part", "/me", "/msg", "/names", "/topic", "/list", "/who", "/quit", "/help"]

    /// One line of junk: a random command with random arguments, or raw random bytes.
    private static func junk(_ random: inout SystemRandomNumberGenerator) -> [UInt8] {
        var line: [UInt8]
        switch Int.random(in: 0..<5, using: &random) {
        case 0:  // raw bytes, line endings and NUL included
            line = (0..<Int.random(in: 1...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 1:  // a huge tag section
            line = Array("@".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 16 * 1024) + Array(" PRIVMSG #chat :tagged".utf8)
        case 2:  // invalid UTF-8 and a lone CR inside a message
            line = Array("PRIVMSG #chat :bad \u{1}".utf8) + [0xC3, 0x28, 0xFF, 13, 0xE2, 0x82] + Array(" x".utf8)
        default:  // a real command, random arguments
            line = Array(commands.randomElement(using: &random)!.utf8)
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                line.append(UInt8(ascii: " "))
                let words = ["#chat", "#other", ":", "*", "+o", "-b", "chatter1", "0", "::", ",", "#", String(repeating: "z", count: 300)]
                line += Array(words.randomElement(using: &random)!.utf8)
                if Bool.random(using: &random) { line.append(UInt8.random(in: 0...255, using: &random)) }
            }
        }
        return line + [13, 10]
    }

    func testRandomBytesBesideRealChattersLoseNothing() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["RELAY_CHAOS_SECONDS"] ?? "") ?? 60
        let server = try RelayProcess.serve(["--flood-rate", "0", "--max-per-ip", "0"])
        defer { server.stop() }
        let ircListener = try ircUser(port: server.port, nick: "listener", room: "#chat")
        let plainTalker = try TestClient(port: server.port)
        plainTalker.sendLine("/nick talker")
        plainTalker.waitFor("-!- You are now known as talker")
        plainTalker.sendLine("/join #chat")
        XCTAssertNotNil(plainTalker.waitFor { $0.hasPrefix("-!- You joined #chat") })
        let ircTalker = try ircUser(port: server.port, nick: "speaker", room: "#chat")

        // Chaos: four clients reconnecting and sending junk until time is up.
        let stop = Date().addingTimeInterval(seconds)
        let junkSent = Collected()
        let chaos = (0..<4).map { _ in
            Thread {
                var random = SystemRandomNumberGenerator()
                while Date() < stop {
                    guard let client = try? TestClient(port: server.port) else { usleep(10_000); continue }
                    for _ in 0..<Int.random(in: 1...50, using: &random) where Date() < stop {
                        client.sendBytes(Self.junk(&random))
                        junkSent.append(Data([1]))
                    }
                    _ = client.drain(quiet: 0.01)
                    if Bool.random(using: &random) { client.reset() }
                }
            }
        }
        chaos.forEach { $0.start() }

        // Meanwhile both talkers speak, numbered; the listener must hear every line in order.
        var said = 0
        var heard: [String] = []
        var plainHeard: [String] = []
        while Date() < stop {
            said += 1
            plainTalker.sendLine("plain \(said)")
            ircTalker.sendLine("PRIVMSG #chat :irc \(said)")
            while let line = ircListener.readLine(timeout: 0.05) {
                if line.hasPrefix("PING ") { ircListener.sendLine("PONG " + line.dropFirst(5)) }
                if line.contains(" PRIVMSG #chat :plain ") || line.contains(" PRIVMSG #chat :irc ") {
                    heard.append(line.components(separatedBy: " PRIVMSG #chat :").last ?? "")
                }
            }
            while let line = plainTalker.readLine(timeout: 0.001) { if line.hasPrefix("<speaker> irc ") { plainHeard.append(line) } }
            _ = ircTalker.drain(quiet: 0.001)
        }
        let deadline = Date().addingTimeInterval(10)
        while heard.count < 2 * said && Date() < deadline {
            guard let line = ircListener.readLine(timeout: 0.5) else { continue }
            if line.contains(" PRIVMSG #chat :plain ") || line.contains(" PRIVMSG #chat :irc ") {
                heard.append(line.components(separatedBy: " PRIVMSG #chat :").last ?? "")
            }
        }
        XCTAssertEqual(heard.filter { $0.hasPrefix("plain ") }, (1...said).map { "plain \($0)" }, "every plain line, in order")
        XCTAssertEqual(heard.filter { $0.hasPrefix("irc ") }, (1...said).map { "irc \($0)" }, "every IRC line, in order")
        while plainHeard.count < said, let line = plainTalker.readLine(timeout: 1) {
            if line.hasPrefix("<speaker> irc ") { plainHeard.append(line) }
        }
        XCTAssertEqual(plainHeard, (1...said).map { "<speaker> irc \($0)" }, "the plain talker heard the IRC one, in order")
        XCTAssertTrue(server.process.isRunning, "the server survived \(junkSent.count) junk lines")
        XCTAssertGreaterThan(junkSent.count, 1000)
        while chaos.contains(where: { $0.isExecuting }) { usleep(10_000) }
    }
}
