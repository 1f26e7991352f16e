import RelayClient

/// `--http-template 'NAME=TEXT'`: a line made from any JSON payload, each
/// `{dotted.path}` replaced by the value there ("" where there is none).
/// Posted to `/hook/NAME/ROOM`.
public struct WebhookTemplate: Equatable, Sendable {
    public let name: String
    public let text: String

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ spec: String) throws(ParseError) -> WebhookTemplate {
        guard let equals = spec.firstIndex(of: "=") else { throw ParseError(description: "\(spec): expected NAME=TEXT") }
        let name = String(spec[..<equals]), text = String(spec[spec.index(after: equals)...])
        guard !name.isEmpty, name.utf8.allSatisfy({ isNameByte($0) }) else {
            throw ParseError(description: "\(spec): a template's name is letters, digits, - and _")
        }
        guard text.contains(where: { $0 != " " }) else { throw ParseError(description: "\(spec): the template is empty") }
        var depth = 0
        for character in text {
            if character == "{" { depth += 1 } else if character == "}" { depth -= 1 }
            guard (0...1).contains(depth) else { throw ParseError(description: "\(spec): unbalanced { }") }
        }
        guard depth == 0 else { throw ParseError(description: "\(spec): unbalanced { }") }
        return WebhookTemplate(name: name, text: text)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    public func render(_ payload: JSONValue) -> String {
        var out = ""
        var path: String?
        for character in text {
            switch (character, path) {
            case ("{", nil): path = ""
            case ("}", let name?):
                out += payload.string(name)
                path = nil
            case (_, .some(let name)): path = name + String(character)
            default: out.append(character)
            }
        }
        return out
    }
}
