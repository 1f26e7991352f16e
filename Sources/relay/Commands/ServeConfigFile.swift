import ArgumentParser
import TOMLKit

/// `relay serve --config FILE`: every option of `relay serve` as a TOML key,
/// its name without the dashes (`max-per-ip` or `max_per_ip`):
///
///     host = "0.0.0.0"
///     port = 6667
///     tls_cert = "/etc/relay/cert.pem"
///     tls_key = "/etc/relay/key.pem"
///     motd = "/etc/relay/motd"
///     password_file = "/etc/relay/pass"
///     oper = ["admin"]                 # a repeatable option takes a list
///     oper_password_file = "/etc/relay/opers"
///     flood_rate = 2.0
///     tls_only = false                 # a flag: true or false
///
/// The file becomes arguments placed before the command line's, and
/// ArgumentParser checks them as it checks typed ones (so every option has a
/// key, with the same ranges and messages); an option given on the command
/// line wins. An error names the file and the line of the key.
enum ServeConfigFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The file as `relay serve` arguments.
    static func arguments(path: String) throws -> [String] {
        let text: String
        do {
            text = try Secrets.contents(of: path)
        } catch {
            throw Failure(description: "\(error)")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Failure(description: "\(path):\(error.source.begin.line): \(error.description)")
        }
        var arguments: [String] = []
        for key in root.keys.sorted(by: { line(of: $0, in: text) < line(of: $1, in: text) }) {
            let option = "--" + key.replacingOccurrences(of: "_", with: "-")
            func fail(_ why: String) -> Failure { Failure(description: "\(path):\(line(of: key, in: text)): \(key): \(why)") }
            guard option != "--config" else { throw fail("a configuration file cannot name another") }
            let value = root[key]!
            if let flag = value.bool {
                if flag { arguments.append(option) }
            } else if let array = value.array {
                for element in array {
                    guard let word = scalar(element) else { throw fail("a list holds strings or numbers") }
                    arguments += [option, word]
                }
            } else if let word = scalar(value) {
                arguments += [option, word]
            } else {
                throw fail("expected a string, a number, true or false, or a list")
            }
        }
        return arguments
    }

    private static func scalar(_ value: TOMLValueConvertible) -> String? {
        if let text = value.string { return text }
        if let number = value.int { return String(number) }
        if let number = value.double { return String(number) }
        return nil
    }

    /// The line (1-based) a key is set on, for messages.
    static func line(of key: String, in text: String) -> Int {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(key) && trimmed.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=") {
                return index + 1
            }
        }
        return 1
    }

    /// An ArgumentParser message about `--some-option`, placed at its key's line.
    static func locate(_ message: String, path: String, text: String) -> String {
        guard let range = message.range(of: "--") else { return "\(path): \(message)" }
        let name = message[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" }
        let dashed = String(name), underscored = dashed.replacingOccurrences(of: "-", with: "_")
        let line = max(line(of: dashed, in: text), line(of: underscored, in: text))
        return "\(path):\(line): \(message)"
    }
}
