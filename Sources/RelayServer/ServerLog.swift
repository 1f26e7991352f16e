import RelayIRC

/// What the server tells its operator, one event at a time: who connected,
/// registered and left (and why), refusals by a limit, operator actions.
/// Never the text of a message (a quit message is logged only as "Quit").
public struct ServerLogEvent: Equatable, Sendable {
    /// In order of importance: a level shows itself and everything above it.
    public enum Level: String, Comparable, Sendable, CaseIterable {
        case error, warn, info, debug

        public var name: String { rawValue }
        public static func < (a: Level, b: Level) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public struct Field: Equatable, Sendable {
        public let key: String
        public let value: String
    }

    public let level: Level
    /// connected, registered, disconnected, refused, oper, oper-refused, kill, nick.
    public let event: String
    public let fields: [Field]

    public init(_ level: Level, _ event: String, _ fields: [(String, String)]) {
        self.level = level
        self.event = event
        self.fields = fields.map { Field(key: $0.0, value: $0.1) }
    }

    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    /// `event key=value ...`, values quoted where they hold spaces or quotes.
    public var text: String {
        ([event] + fields.map { "\($0.key)=\(Self.escaped($0.value))" }).joined(separator: " ")
    }

    /// A value as the text log shows it: quoted where it holds a space, a quote
    /// or "=", and every control character (C0, DEL, C1) written as `\xNN`, so
    /// what a client typed (`OPER \e]0;...`) can never drive the terminal that
    /// shows the log, nor forge a line of it.
    static func escaped(_ value: String) -> String {
        var out = ""
        var needsQuotes = value.isEmpty
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""; needsQuotes = true
            case 0x5C: out += "\\\\"
            case 0x20, 0x3D: out.unicodeScalars.append(scalar); needsQuotes = true
            case _ where TextScrub.isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return needsQuotes ? "\"" + out + "\"" : out
    }
}

extension ChatServer {
    func log(_ level: ServerLogEvent.Level, _ event: String, _ fields: [(String, String)]) {
        log?(ServerLogEvent(level, event, fields))
    }

    /// A disconnect reason fit for the log: a user's own quit message is their text, not ours.
    static func loggedReason(_ reason: String) -> String {
        reason.hasPrefix("Quit:") ? "Quit" : reason
    }
}
