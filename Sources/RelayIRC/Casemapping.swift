/// rfc1459 casemapping: A-Z fold to a-z, and "[]\~" to "{}|^" (the
/// Scandinavian origins of IRC). Two nicks or channel names are the same
/// name when their folded forms are equal.
public enum Casemapping {
    public static func fold(_ name: String) -> String {
        var bytes = Array(name.utf8)
        var changed = false
        for index in bytes.indices {
            let byte = bytes[index]
            let folded: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): folded = byte + 32
            case UInt8(ascii: "["): folded = UInt8(ascii: "{")
            case UInt8(ascii: "]"): folded = UInt8(ascii: "}")
            case UInt8(ascii: "\\"): folded = UInt8(ascii: "|")
            case UInt8(ascii: "~"): folded = UInt8(ascii: "^")
            default: continue
            }
            bytes[index] = folded
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : name
    }

    public static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && fold(a) == fold(b)
    }
}
