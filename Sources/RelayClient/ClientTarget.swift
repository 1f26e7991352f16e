import RelayIRC

/// Where `relay connect` and `relay bridge` go:
///
///     irc://[nick[:password]@]host[:port]/[room[,room...]][?key[,key...]]
///     ircs://...  (the same over TLS; port 6697 by default)
///     host[:port]
///     tcp://host:port[/room]   a plain line-chat server (ncat --chat); its one
///                              room is called #chat unless named
///
/// Every part is percent-decoded (`%23ops` is `#ops`); a room named without "#"
/// gets one; keys pair with the rooms in order; IPv6 hosts are written in
/// brackets (`irc://[::1]:6667/#ops`). Anything else is an error whose text
/// never contains the password.
public struct ClientTarget: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var rooms: [String]
    /// Room keys by folded room name.
    public var keys: [String: String]
    /// The nick and password given in the URL, if any.
    public var nick: String?
    public var password: String?
    /// Speak TLS (ircs://, or --tls).
    public var tls: Bool
    /// A plain line-chat server (tcp://), not IRC.
    public var plain = false
    /// The port was written in the target (else it is the scheme's default);
    /// how it was written is not part of which target it is, so not of equality.
    public var portGiven = false

    public static func == (a: ClientTarget, b: ClientTarget) -> Bool {
        a.host == b.host && a.port == b.port && a.rooms == b.rooms && a.keys == b.keys && a.nick == b.nick
            && a.password == b.password && a.tls == b.tls && a.plain == b.plain
    }

    /// The room a plain server's one room is called when the target names none.
    public static let plainRoom = "#chat"

    public static let defaultPort = 6667
    public static let defaultTLSPort = 6697

    public init(host: String, port: Int = defaultPort, rooms: [String] = [], keys: [String: String] = [:],
                nick: String? = nil, password: String? = nil, tls: Bool = false) {
        self.host = host
        self.tls = tls
        self.port = port
        self.rooms = rooms
        self.keys = keys
        self.nick = nick
        self.password = password
    }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public func key(for room: String) -> String? { keys[Casemapping.fold(room)] }

    /// Adds `room` (with its key, if any) unless it is there already.
    public mutating func add(room: String, key: String? = nil) {
        if !rooms.contains(where: { Casemapping.equal($0, room) }) { rooms.append(room) }
        if let key { keys[Casemapping.fold(room)] = key }
    }

    public static func parse(_ text: String) throws(ParseError) -> ClientTarget {
        // What errors quote: the text, and what they say of its parts, with every
        // password-looking userinfo masked, worked out before anything is parsed.
        let secrets = passwords(in: text)
        func failure(_ why: String) -> ParseError {
            ParseError(description: "\(redacted(text, secrets)): \(redacted(why, secrets))")
        }

        var rest = Substring(text)
        var isURL = false
        var tls = false
        var plain = false
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") {
            let scheme = text[..<colon].lowercased()
            guard ["irc", "ircs", "tcp"].contains(scheme) else { throw failure("only irc://, ircs:// and tcp:// URLs are supported") }
            tls = scheme == "ircs"
            plain = scheme == "tcp"
            rest = text[colon...].dropFirst(3)
            isURL = true
        }
        // Split off the path (rooms) and query (keys) before looking for userinfo.
        var authority = rest
        var path: Substring = ""
        var query: Substring?
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else if let mark = rest.firstIndex(of: "?") {
            authority = rest[..<mark]
            path = rest[mark...]
        }
        if let mark = path.firstIndex(of: "?") {
            query = path[path.index(after: mark)...]
            path = path[..<mark]
        }
        var target = ClientTarget(host: "", port: tls ? defaultTLSPort : defaultPort, tls: tls)
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            var nickPart = userinfo
            if let colon = userinfo.firstIndex(of: ":") {
                nickPart = userinfo[..<colon]
                let secret = userinfo[userinfo.index(after: colon)...]
                guard isURL else { throw failure("a password belongs in an irc:// URL") }
                guard let password = percentDecoded(secret), !password.isEmpty else { throw failure("the password is not valid") }
                target.password = password
            }
            if !nickPart.isEmpty {
                guard let nick = percentDecoded(nickPart), Names.isValidNick(nick, maxLength: 30) else {
                    throw failure("\(nickPart) is not a valid nick")
                }
                target.nick = nick
            }
        }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("unclosed [ in the host") }
            target.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("expected :PORT after ]") }
                target.port = try parsePort(after.dropFirst(), failure)
                target.portGiven = true
            }
            guard target.host.contains(":") else { throw failure("brackets are for IPv6 addresses") }
        } else {
            var host = authority
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                target.port = try parsePort(authority[authority.index(after: colon)...], failure)
                target.portGiven = true
            }
            guard !host.contains(":") else { throw failure("write an IPv6 address in brackets: [\(host)]") }
            guard let decoded = percentDecoded(host) else { throw failure("the host is not valid") }
            target.host = decoded
        }
        guard !target.host.isEmpty else { throw failure("no host") }
        guard target.host.utf8.allSatisfy({ $0 > 32 && $0 < 127 && !"/@?#%,".utf8.contains($0) }) else {
            throw failure("\(target.host) is not a host name")
        }
        var keys: [String] = []
        if let query {
            guard isURL else { throw failure("a ?key belongs in an irc:// URL") }
            for raw in query.split(separator: ",", omittingEmptySubsequences: false) {
                guard let key = percentDecoded(raw), key.isEmpty || isValidKey(key) else { throw failure("the key is not valid") }
                keys.append(key)
            }
        }
        for raw in path.split(separator: ",", omittingEmptySubsequences: true) {
            guard let decoded = percentDecoded(raw) else { throw failure("\(raw) is not a room name") }
            let room = roomName(decoded)
            guard Names.isValidChannel(room, maxLength: 200) else { throw failure("\(room) is not a room name") }
            target.add(room: room)
        }
        guard keys.count <= max(target.rooms.count, 1), !(keys.count > 0 && target.rooms.isEmpty) else {
            throw failure("more keys than rooms")
        }
        for (room, key) in zip(target.rooms, keys) where !key.isEmpty { target.keys[Casemapping.fold(room)] = key }
        if plain {
            guard target.portGiven else { throw failure("a tcp:// target needs its port (tcp://host:port)") }
            guard target.password == nil, target.nick == nil, keys.isEmpty else {
                throw failure("a plain chat server (tcp://) takes no nick, password or key")
            }
            guard target.rooms.count <= 1 else { throw failure("a plain chat server (tcp://) is one room") }
            if target.rooms.isEmpty { target.rooms = [plainRoom] }
            target.plain = true
        }
        return target
    }

    /// Everything in `text` that could be a password: the part after the first
    /// ":" of a `user:password@` before the first "/" or "?" of the text, or of
    /// what follows any "://" (a URL with a mistyped scheme still hides its password).
    static func passwords(in text: String) -> [Substring] {
        var starts = [text.startIndex]
        var search = text[...]
        while let scheme = search.firstRange(of: "://") {
            starts.append(scheme.upperBound)
            search = text[scheme.upperBound...]
        }
        return starts.compactMap { start in
            let rest = text[start...]
            let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)]
            guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
            let secret = text[text.index(after: colon)..<at]
            return secret.isEmpty ? nil : secret
        }
    }

    /// `text` with each of `secrets` shown as `****`.
    static func redacted(_ text: String, _ secrets: [Substring]) -> String {
        secrets.sorted { $0.count > $1.count }.reduce(text) { $0.replacing($1, with: "****") }
    }

    /// "ops" → "#ops"; "#ops" stays.
    public static func roomName(_ text: String) -> String {
        Names.isChannel(text) ? text : "#" + text
    }

    /// A room key: no spaces, commas or control bytes, at most 23 bytes (the common limit).
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 23 && key.utf8.allSatisfy { $0 > 32 && $0 != UInt8(ascii: ",") }
    }

    private static func parsePort(_ text: Substring, _ failure: (String) -> ParseError) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw failure("the port must be 1 to 65535") }
        return port
    }

    /// `%XX` sequences decoded; nil when one is malformed, the result is not
    /// UTF-8, or it holds a NUL or a line break.
    static func percentDecoded(_ text: Substring) -> String? {
        guard let bytes = PercentDecoding.bytes(text), !bytes.contains(0), !bytes.contains(10), !bytes.contains(13) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// TLS asked for by an option (`--tls`) rather than the scheme: TLS's
    /// port, 6697, unless the target named one.
    public func withTLS() -> ClientTarget {
        var target = self
        if !target.tls && !target.portGiven { target.port = Self.defaultTLSPort }
        target.tls = true
        return target
    }

    /// "host:port", with brackets for IPv6.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
