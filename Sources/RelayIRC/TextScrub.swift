/// The one scrubber per purpose, for text relay did not write itself.
///
/// - `oneLine`: text going into one protocol line. CR, LF and NUL would end
///   or break the line; each becomes a space (by scalar: "\r\n" is a single
///   Character in Swift, and must still become two spaces).
/// - `printable`: text going to a person's terminal (the chat UI, a plain
///   user's nc, --stay output on a terminal). Control characters, C0, DEL and
///   C1 (U+0080-U+009F, which many terminals read as CSI, OSC...), could move
///   the cursor, recolour, retitle; they are dropped, and a TAB becomes a space
///   (it separates words).
public enum TextScrub {
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: breaksLine) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { breaksLine($0) ? " " : $0 }))
    }

    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\t" { out.append(" ") } else if !isControl(scalar) { out.append(scalar) }
        }
        return String(out)
    }

    /// `printable` on UTF-8 bytes, for renderers that work in bytes.
    public static func printable(utf8 bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
        var afterC2 = false
        for byte in bytes {
            if afterC2 {
                afterC2 = false
                if (0x80...0x9F).contains(byte) { continue }  // U+0080-U+009F is C2 80 to C2 9F
                out.append(0xC2)
            }
            switch byte {
            case 0x09: out.append(0x20)
            case 0..<0x20, 0x7F: continue
            case 0xC2: afterC2 = true
            default: out.append(byte)
            }
        }
        if afterC2 { out.append(0xC2) }
    }

    /// C0, DEL or C1.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\r" || scalar == "\n" || scalar == "\0"
    }
}
