extension Message {
    /// The wire form with CRLF. CR, LF and NUL inside any field are replaced by
    /// spaces, so no field can ever end the line or smuggle a second command.
    /// A parameter that is empty, contains a space or starts with ":" is sent
    /// last, in trailing form; one that needs it elsewhere loses that form's
    /// guarantees, so such a middle parameter has its spaces replaced too.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + params.reduce(0) { $0 + $1.utf8.count })
        if !tags.isEmpty {
            out.append(UInt8(ascii: "@"))
            for (index, key) in tags.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ";")) }
                Self.appendTag(key, tags[key], to: &out)
            }
            out.append(UInt8(ascii: " "))
        }
        if let source {
            out.append(UInt8(ascii: ":"))
            Self.appendSafe(source, to: &out, spaces: false)
            out.append(UInt8(ascii: " "))
        }
        Self.appendSafe(command, to: &out, spaces: false)
        for (index, param) in params.enumerated() {
            out.append(UInt8(ascii: " "))
            let isLast = index == params.count - 1
            if isLast && (lastParamIsText || param.isEmpty || param.utf8.first == UInt8(ascii: ":")
                          || param.utf8.contains(UInt8(ascii: " "))) {
                out.append(UInt8(ascii: ":"))
                Self.appendSafe(param, to: &out, spaces: true)
            } else {
                var middle = param
                if middle.isEmpty || middle.hasPrefix(":") { middle = "*" + middle }
                Self.appendSafe(middle, to: &out, spaces: false)
            }
        }
        out.append(UInt8(ascii: "\r"))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Whether the last parameter is free text, written in trailing form even
    /// when it is one word (":ana PRIVMSG #r :hi"), as servers and clients expect.
    /// Numerics carry text last, except the few whose last field is a token.
    var lastParamIsText: Bool {
        if let position = Self.textPositions[command] { return params.count - 1 >= position }
        let isNumeric = command.utf8.count == 3 && command.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        return isNumeric && !Self.numericsEndingInAToken.contains(command)
    }

    /// Commands with a free-text parameter, and that parameter's position.
    static let textPositions: [String: Int] = [
        "PRIVMSG": 1, "NOTICE": 1, "PART": 1, "KICK": 2, "TOPIC": 1, "KILL": 1, "QUIT": 0, "AWAY": 0,
        "WALLOPS": 0, "ERROR": 0, "PING": 0, "PONG": 1, "USER": 3, "CAP": 2, "FAIL": 2, "REDACT": 2, "RELAYMSG": 2,
    ]
    /// 004 (modes), 221 (user modes), 324 (channel modes), 329/333/367 (timestamps), 341 (channel).
    static let numericsEndingInAToken: Set<String> = ["004", "221", "324", "329", "333", "341", "367"]

    /// The wire form without CRLF, for logs and tests.
    public var line: String {
        String(decoding: bytes.dropLast(2), as: UTF8.self)
    }

    private static func appendSafe(_ text: String, to out: inout [UInt8], spaces: Bool) {
        for byte in text.utf8 {
            switch byte {
            // Where a space would end the field, what stands for a line break must not be one.
            case 0, UInt8(ascii: "\r"), UInt8(ascii: "\n"): out.append(UInt8(ascii: spaces ? " " : "_"))
            case UInt8(ascii: " ") where !spaces: out.append(UInt8(ascii: "_"))
            default: out.append(byte)
            }
        }
    }

    static func escapeTagValue(_ value: String) -> String {
        // By scalar, not Character: "\r\n" is one Character, and so is ";" or " "
        // followed by a combining mark; none of them may reach the wire unescaped.
        var result = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case ";": result.append(contentsOf: "\\:".unicodeScalars)
            case " ": result.append(contentsOf: "\\s".unicodeScalars)
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}

extension Message {
    /// A wire line (CRLF included) cut to IRC's 512 bytes, as ircds cut what they
    /// write: after at most 510 bytes, at a UTF-8 character boundary, trailing
    /// spaces dropped, CRLF again. For lines built around text nobody bounded in
    /// advance (a 401 naming a 500-byte target, a QUIT reason behind a long
    /// prefix); a line that fits is returned as it is.
    ///
    /// The one way relay fits a line into 512 bytes; `fitted()` is the same
    /// cut for a message relay composes itself.
    /// IRCv3 tags ("@time=…;msgid=… ") do not count: the limit is the message's.
    public static func cutToFit(_ line: [UInt8]) -> [UInt8] {
        guard line.count > maxLength + 2 else { return line }
        var start = 0
        if line.first == UInt8(ascii: "@"), let space = line.firstIndex(of: UInt8(ascii: " ")) {
            start = space + 1
            guard line.count - start > maxLength + 2 else { return line }
        }
        var end = start + maxLength
        while end > start && line[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a character
        while end > start && line[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return Array(line[..<end]) + [13, 10]
    }

    /// A wire line with one more tag in front: `@key=value` joins the tags it
    /// has, or starts them. For tags added per recipient (label, batch) to a
    /// line rendered once for many.
    public static func addingTag(_ key: String, _ value: String, to line: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count + key.utf8.count + value.utf8.count + 3)
        out.append(UInt8(ascii: "@"))
        appendTag(key, value, to: &out)
        if line.first == UInt8(ascii: "@") {
            out.append(UInt8(ascii: ";"))
            out += line.dropFirst()
        } else {
            out.append(UInt8(ascii: " "))
            out += line
        }
        return out
    }

    /// One tag as the wire has it, `key` or `key=escaped value` (an empty value
    /// is no value): the one way relay writes a tag, whoever builds the line.
    public static func appendTag(_ key: String, _ value: String?, to out: inout [UInt8]) {
        appendSafe(key, to: &out, spaces: false)
        guard let value, !value.isEmpty else { return }
        out.append(UInt8(ascii: "="))
        appendSafe(escapeTagValue(value), to: &out, spaces: false)
    }

    /// The wire form cut to fit (`cutToFit`), but only inside its last
    /// parameter: nil when the cut would fall before it (a reply addressed to
    /// a "nick" of hundreds of bytes, found by fuzzing, is not sent at all
    /// rather than sent broken).
    public func fitted() -> [UInt8]? {
        let line = bytes
        guard line.count > Message.maxLength + 2, let last = params.last else { return line }
        let lastStarts = line.count - 2 - last.utf8.count
        let cut = Message.cutToFit(line)
        return cut.count - 2 >= lastStarts ? cut : nil  // an emptied last parameter is still a whole line
    }
}
