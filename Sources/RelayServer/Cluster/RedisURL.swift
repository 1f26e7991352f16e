/// Where a cluster's Redis is: `redis://[[user]:password@]host[:port][/db]`,
/// or `rediss://` for TLS. IPv6 hosts in brackets (`redis://[::1]:6379`).
public struct RedisURL: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    public var tls: Bool
    public var username: String?
    public var password: String?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(parsing text: String) throws(Failure) {
        func fail(_ why: String) -> Failure { Failure(description: "--cluster \(Self.redacted(text)): \(why)") }
        var rest: Substring
        if text.hasPrefix("redis://") { tls = false; rest = text.dropFirst(8) }
        else if text.hasPrefix("rediss://") { tls = true; rest = text.dropFirst(9) }
        else { throw fail("not a redis:// or rediss:// URL") }
        database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15).contains(number) else { throw fail("the database is a number from 0 to 15") }
                database = number
            }
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : String(user)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("an IPv6 address ends with ]") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw fail("what follows ] is :PORT") }
                rest = rest.dropFirst()
                guard let number = Int(rest), (1...65_535).contains(number) else { throw fail("the port is a number from 1 to 65535") }
                port = number
            }
        } else {
            if let colon = rest.lastIndex(of: ":") {
                guard let number = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(number) else {
                    throw fail("the port is a number from 1 to 65535")
                }
                port = number
                rest = rest[..<colon]
            }
            host = String(rest)
        }
        if host.isEmpty { throw fail("no host") }
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "rediss" : "redis")://\(credentials)\(shownHost):\(port)\(database == 0 ? "" : "/\(database)")"
    }

    /// `text` with whatever is between "://…:" and "@" hidden.
    static func redacted(_ text: String) -> String {
        let afterScheme = text.startIndex == text.endIndex ? text.startIndex
            : (text.indices.first { text[$0...].hasPrefix("://") }.map { text.index($0, offsetBy: 3) } ?? text.endIndex)
        guard afterScheme < text.endIndex, let at = text.lastIndex(of: "@"), afterScheme < at,
              let colon = text[afterScheme..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
