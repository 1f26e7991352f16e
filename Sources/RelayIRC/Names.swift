/// Validation of nicks and channel names.
public enum Names {
    /// RFC 2812: a letter or one of `[]\`^_{|}`, then letters, digits, those, or "-".
    public static func isValidNick(_ nick: String, maxLength: Int) -> Bool {
        let bytes = Array(nick.utf8)
        guard let first = bytes.first, bytes.count <= maxLength else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        func isSpecial(_ b: UInt8) -> Bool { (0x5B...0x60).contains(b) || (0x7B...0x7D).contains(b) }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard isLetter(first) || isSpecial(first) else { return false }
        return bytes.dropFirst().allSatisfy { isLetter($0) || isSpecial($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// "#" then up to `maxLength - 1` bytes, none of them space, comma, BEL, NUL, CR, LF or ":".
    public static func isValidChannel(_ name: String, maxLength: Int) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 2, bytes.count <= maxLength, bytes[0] == UInt8(ascii: "#") else { return false }
        // No space, comma or colon (they end the name on the wire), and no control
        // character, C0, DEL or C1 (U+0080-U+009F): a name like "#x\e[2J" would
        // drive every terminal that shows it.
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 32 || $0 == 44 || $0 == 58 }) { return false }
        return !zip(bytes, bytes.dropFirst()).contains { $0 == 0xC2 && (0x80...0x9F).contains($1) }
    }

    public static func isChannel(_ target: String) -> Bool {
        target.utf8.first == UInt8(ascii: "#")
    }

    /// Glob matching with `*` and `?`, under rfc1459 casemapping (ban masks).
    public static func matches(mask: String, _ text: String) -> Bool {
        let pattern = Array(Casemapping.fold(mask).utf8)
        let subject = Array(Casemapping.fold(text).utf8)
        var p = 0, s = 0, starP = -1, starS = 0
        while s < subject.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == subject[s]) {
                p += 1; s += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p; starS = s; p += 1
            } else if starP >= 0 {
                p = starP + 1; starS += 1; s = starS
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
