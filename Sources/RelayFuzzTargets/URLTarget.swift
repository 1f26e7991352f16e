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
            // user:password@ — the password must not be quoted back. The userinfo
            // is in the authority: before the first "/" or "?".
            guard let scheme = text.firstRange(of: "://") else { return }
            let rest = text[scheme.upperBound...]
            let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)]
            guard let at = authority.lastIndex(of: "@") else { return }
            let userinfo = text[scheme.upperBound..<at]
            guard let colon = userinfo.firstIndex(of: ":") else { return }
            let password = userinfo[userinfo.index(after: colon)...]
            // A password that also appears elsewhere in the text proves nothing.
            let elsewhere = String(text[..<colon]) + " " + String(text[at...])
            guard password.count >= 4, !"****".contains(password), !elsewhere.contains(password) else { return }
            precondition(!error.description.contains(password), "an error that shows the password")
        }
    }
}
