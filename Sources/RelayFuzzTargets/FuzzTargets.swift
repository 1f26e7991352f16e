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

/// Lines as the framer would cut them (CR, LF or CRLF), for targets that take lines.
func lines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    bytes.split(omittingEmptySubsequences: true) { $0 == 10 || $0 == 13 }
}

/// A line on the wire: CRLF at the end and nowhere else, no NUL.
func isCleanWireLine(_ line: [UInt8]) -> Bool {
    line.count >= 2 && line[line.count - 2] == 13 && line[line.count - 1] == 10
        && !line.dropLast(2).contains { $0 == 13 || $0 == 10 || $0 == 0 }
}
