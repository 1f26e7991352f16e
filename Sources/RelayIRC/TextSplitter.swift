/// Splits text into pieces of at most `maxBytes` UTF-8 bytes each, preferring
/// to break at a space, never inside a UTF-8 character. Used wherever a message
/// must fit one IRC line once the prefix is added, so a long message arrives as
/// several lines instead of being cut.
///
/// Total for any width: a character wider than `maxBytes` (a 4-byte emoji in
/// 3 bytes) becomes a piece of its own rather than being cut or looping.
public enum TextSplitter {
    public static func split(_ text: String, maxBytes: Int) -> [String] {
        let limit = max(1, maxBytes)
        let bytes = Array(text.utf8)
        if bytes.count <= limit { return [text] }
        var pieces: [String] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + limit, bytes.count)
            var brokeAtSpace = false
            if end < bytes.count {
                // Back off to a character boundary: never end before a continuation byte.
                while end > start && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                if end == start {
                    // Not even one character fits: it goes alone.
                    end += 1
                    while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
                } else if let space = bytes[start..<end].lastIndex(of: UInt8(ascii: " ")), space > start + limit / 2 {
                    // Prefer the last space in the second half of the piece.
                    end = space
                    brokeAtSpace = true
                }
            }
            pieces.append(String(decoding: bytes[start..<end], as: UTF8.self))
            // The space a piece broke at belongs to neither piece.
            start = brokeAtSpace ? end + 1 : end
        }
        return pieces
    }

    /// The longest start of `text` that fits in `maxBytes` bytes, cut between
    /// characters (so possibly empty): for a limit such as a topic's length.
    public static func prefix(_ text: String, maxBytes: Int) -> String {
        let bytes = Array(text.utf8)
        if bytes.count <= maxBytes { return text }
        var end = max(0, maxBytes)
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
