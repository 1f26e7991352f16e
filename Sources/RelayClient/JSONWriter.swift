import RelayIRC

/// The one JSON writer for what relay prints: an object on one line, its
/// members in the order given (a log reads better with `time` first), string
/// members then boolean ones. The event lines of `--json`, the operator's log
/// and relay's own diagnostics all go through it. (Reading JSON, a bot's
/// coprocess lines, is JSONValue's.)
public enum JSONWriter {
    public static func object(_ members: [(String, String)], flags: [(String, Bool)] = []) -> String {
        let strings = members.map { "\(quote($0.0)):\(quote($0.1))" }
        let booleans = flags.map { "\(quote($0.0)):\($0.1)" }
        return "{" + (strings + booleans).joined(separator: ",") + "}"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where TextScrub.isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
