/// Splits text into pieces of at most `maxBytes` UTF-8 bytes each, preferring
/// to break at a space, never inside a UTF-8 character. Used wherever a message
/// must fit one IRC line once the prefix is added, so a long message arrives as
/// several lines instead of being cut.
public enum TextSplitter {
    public static func split(_ text: String, maxBytes: Int) -> [String] {
        precondition(maxBytes >= 4, "a piece must hold one UTF-8 character")
        let bytes = Array(text.utf8)
        if bytes.count <= maxBytes { return [text] }
        var pieces: [String] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + maxBytes, bytes.count)
            var brokeAtSpace = false
            if end < bytes.count {
                // Back off to a character boundary: never end before a continuation byte.
                while end > start && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                // Prefer the last space in the second half of the piece.
                if let space = bytes[start..<end].lastIndex(of: UInt8(ascii: " ")), space > start + maxBytes / 2 {
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
}
