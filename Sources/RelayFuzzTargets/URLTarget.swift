import RelayClient
import RelayIRC

/// `irc://` and `ircs://` targets: parsing never traps; what parses has valid
/// room names and a port in range; an error never repeats the password.
enum URLTarget {
    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        do {
            let target = try ClientTarget.parse(text)
            precondition((1...65535).contains(target.port), "a port out of range")
            precondition(!target.host.isEmpty, "an empty host")
            for room in target.rooms { precondition(Names.isValidChannel(room, maxLength: 200), "an invalid room \(room)") }
            for key in target.keys.values { precondition(ClientTarget.isValidKey(key), "an invalid key") }
        } catch {
            checkPasswordIsHidden(in: text, error)
        }
    }

    /// user:password@ — the password must not be quoted back. Whether an error
    /// shows it is decided by difference, not by search: the text is parsed again
    /// with the password's letters and digits rotated, and only an error whose
    /// words follow the rotation quotes the password. A search alone also finds
    /// passwords the message puts together by chance ("…n::2]" + ": the key…"
    /// holds ":2]:"), and words of the message itself ("valid").
    private static func checkPasswordIsHidden(in text: String, _ error: ClientTarget.ParseError) {
        guard let password = userinfoPassword(in: text), password.count >= 4,
              password.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }),
              text.ranges(of: password).count == 1 else { return }
        let rotated = String(String.UnicodeScalarView(password.unicodeScalars.map(rotate)))
        guard !text.contains(rotated) else { return }
        do {
            _ = try ClientTarget.parse(text.replacing(password, with: rotated))
        } catch let other {
            let follows = error.description.contains(password) && other.description.contains(rotated)
            precondition(!follows, "an error that shows the password")
        }
    }

    /// The part after the first ":" of the userinfo: what is before the last "@"
    /// of the authority, itself before the first "/" or "?" after "://".
    private static func userinfoPassword(in text: String) -> String? {
        guard let scheme = text.firstRange(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return nil }
        return String(userinfo[userinfo.index(after: colon)...])
    }

    /// ROT13 for letters, +5 for digits: another password of the same shape.
    private static func rotate(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        switch scalar {
        case "a"..."z": return Unicode.Scalar((value - 97 + 13) % 26 + 97)!
        case "A"..."Z": return Unicode.Scalar((value - 65 + 13) % 26 + 65)!
        default: return Unicode.Scalar((value - 48 + 5) % 10 + 48)!
        }
    }
}
