import RelayIRC
import RelayServer

/// The fuzz targets, by name: each takes arbitrary bytes, drives one parser or
/// core that sees untrusted input, and traps (`precondition`) when an
/// invariant breaks. libFuzzer runs them (fuzz/, scripts/fuzz.sh); `swift test`
/// replays every committed regression and corpus file through them.
public enum FuzzTargets {
    public static let all: [(name: String, run: ([UInt8]) -> Void)] = [
        ("Framer", FramerTarget.run),
        ("Message", MessageTarget.run),
        ("Server", ServerTarget.runMixed),
        ("PlainCommands", ServerTarget.runPlain),
        ("ClientSession", SessionTarget.run),
        ("URL", URLTarget.run),
        ("Bridge", BridgeTarget.run),
        ("BotReply", BotReplyTarget.run),
        ("Webhook", WebhookTarget.run),
        ("Cluster", ClusterTarget.run),
    ]

    public static func target(named name: String) -> (([UInt8]) -> Void)? {
        all.first { $0.name == name }?.run
    }
}

/// Choices drawn from the input's bytes, so one input always means one run.
struct FuzzCursor {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// The rest of the input.
    mutating func rest() -> ArraySlice<UInt8> {
        defer { index = bytes.count }
        return bytes[min(index, bytes.count)...]
    }
}

/// A client of the fuzzed core: every line it is sent is one clean line (CRLF
/// only at its end, no NUL); an IRC client's fits 512 bytes (tags aside) and
/// parses; nothing comes after close().
final class CheckedEndpoint: ClientEndpoint {
    let irc: Bool
    var closed = false
    init(irc: Bool) { self.irc = irc }

    func send(_ line: [UInt8]) {
        precondition(!closed, "a line after close()")
        precondition(isCleanWireLine(line), "a line break or NUL inside a line: \(String(decoding: line, as: UTF8.self).debugDescription)")
        guard irc else { return }
        // IRCv3 tags do not count against 512 bytes; they have 8191 of their own.
        let tags = line.first == UInt8(ascii: "@") ? (line.firstIndex(of: UInt8(ascii: " ")) ?? 0) + 1 : 0
        precondition(tags <= 8191, "tags over 8191 bytes")
        precondition(line.count - tags <= 512, "an IRC line over 512 bytes: \(line.count): \(String(decoding: line, as: UTF8.self).debugDescription)")
        precondition((try? Message.parse(line.dropLast(2))) != nil, "an IRC line that does not parse")
    }

    func close() { closed = true }
}

/// Lines as the framer would cut them (CR, LF or CRLF), for targets that take lines.
func lines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    bytes.split(omittingEmptySubsequences: true) { $0 == 10 || $0 == 13 }
}

/// A line on the wire: CRLF at the end and nowhere else, no NUL.
func isCleanWireLine(_ line: [UInt8]) -> Bool {
    line.count >= 2 && line[line.count - 2] == 13 && line[line.count - 1] == 10
        && !line.dropLast(2).contains { $0 == 13 || $0 == 10 || $0 == 0 }
}
