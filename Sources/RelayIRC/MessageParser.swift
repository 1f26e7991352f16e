/// Why a line is not a message.
public enum ParseError: Error, Equatable {
    case empty
    case missingCommand
    case invalidCommand
    /// The part after the tags is longer than IRC's 510 bytes.
    case tooLong
    /// The tags are longer than 8191 bytes.
    case tagsTooLong
    /// A NUL byte, which no IRC message may carry.
    case containsNul
    /// A CR or LF: a line ends there, so a "line" holding one is two (the framer
    /// never hands one over; a caller that parses raw bytes might).
    case containsLineBreak
}

extension Message {
    /// The largest message, tags aside, without its CRLF.
    public static let maxLength = 510
    /// The largest tag section, with its "@" and trailing space.
    public static let maxTagsLength = 8191

    /// Parses one line (without its line ending).
    public static func parse(_ line: some Collection<UInt8>) throws(ParseError) -> Message {
        try parse(ArraySlice(line))
    }

    public static func parse(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> Message {
        try parse(bytes, maxLength: maxLength)
    }

    /// With another limit than IRC's 510 bytes (tags aside): between relay's
    /// own nodes, a plain user's longer line travels whole.
    public static func parse(_ bytes: ArraySlice<UInt8>, maxLength: Int) throws(ParseError) -> Message {
        let space = UInt8(ascii: " ")
        if bytes.contains(0) { throw .containsNul }
        if bytes.contains(where: { $0 == 13 || $0 == 10 }) { throw .containsLineBreak }
        var cursor = bytes.startIndex
        let end = bytes.endIndex
        func skipSpaces() { while cursor < end && bytes[cursor] == space { cursor += 1 } }
        func word() -> ArraySlice<UInt8> {
            let start = cursor
            while cursor < end && bytes[cursor] != space { cursor += 1 }
            return bytes[start..<cursor]
        }

        var tags: [String: String] = [:]
        skipSpaces()
        if cursor < end && bytes[cursor] == UInt8(ascii: "@") {
            let tagStart = cursor
            let raw = word()
            if cursor - tagStart + 1 > maxTagsLength { throw .tagsTooLong }
            tags = parseTags(raw.dropFirst())
            skipSpaces()
        }
        if end - cursor > maxLength { throw .tooLong }
        if cursor == end { throw tags.isEmpty ? .empty : .missingCommand }

        var source: String?
        if bytes[cursor] == UInt8(ascii: ":") {
            source = text(word().dropFirst())
            skipSpaces()
        }
        let command = word()
        if command.isEmpty { throw .missingCommand }
        let isNumeric = command.count == 3 && command.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let isWord = command.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }
        guard isNumeric || isWord else { throw .invalidCommand }

        var params: [String] = []
        while true {
            skipSpaces()
            if cursor >= end { break }
            if bytes[cursor] == UInt8(ascii: ":") {
                params.append(text(bytes[(cursor + 1)..<end]))
                break
            }
            params.append(text(word()))
        }
        return Message(tags: tags, source: source, command: text(command).uppercased(), params: params)
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `key=value;key2` with the IRCv3 escapes (\: \s \\ \r \n).
    private static func parseTags(_ raw: ArraySlice<UInt8>) -> [String: String] {
        var tags: [String: String] = [:]
        for item in raw.split(separator: UInt8(ascii: ";")) {
            let parts = item.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = text(parts[0])
            guard !key.isEmpty else { continue }
            tags[key] = parts.count > 1 ? unescapeTagValue(text(parts[1])) : ""
        }
        return tags
    }

    static func unescapeTagValue(_ value: String) -> String {
        guard value.contains("\\") else { return value }
        // By scalar, like the escaping: a backslash followed by a combining mark
        // is one Character, but still an escape.
        var result = String.UnicodeScalarView()
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                switch scalar {
                case ":": result.append(";")
                case "s": result.append(" ")
                case "r": result.append("\r")
                case "n": result.append("\n")
                default: result.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
