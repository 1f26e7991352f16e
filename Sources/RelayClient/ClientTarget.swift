import RelayIRC

/// Where `relay connect` goes: `irc://host[:port]/#room[,#room2]` or `host[:port]`.
public struct ClientTarget: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var rooms: [String]

    public static let defaultPort = 6667

    public init(host: String, port: Int = defaultPort, rooms: [String] = []) {
        self.host = host
        self.port = port
        self.rooms = rooms
    }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Parses a target. A room named without "#" gets one; IPv6 hosts are
    /// written in brackets (`irc://[::1]:6667/#ops`).
    public static func parse(_ text: String) throws(ParseError) -> ClientTarget {
        var rest = Substring(text)
        let parts = text.split(separator: ":", maxSplits: 1)
        if parts.count == 2 && parts[1].hasPrefix("//") {
            guard parts[0].lowercased() == "irc" else {
                throw ParseError(description: "\(text): only irc:// URLs are supported")
            }
            rest = parts[1].dropFirst(2)
        }
        var roomPart: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            roomPart = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var host: Substring
        var port = defaultPort
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "\(text): unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError(description: "\(text): expected :PORT after ]") }
                port = try parsePort(after.dropFirst(), in: text)
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = try parsePort(rest[rest.index(after: colon)...], in: text)
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw ParseError(description: "\(text): no host") }
        var rooms: [String] = []
        for raw in roomPart.split(separator: ",") where !raw.isEmpty {
            let room = raw.hasPrefix("#") ? String(raw) : "#" + raw
            guard Names.isValidChannel(room, maxLength: 200) else { throw ParseError(description: "\(text): \(room) is not a room name") }
            rooms.append(room)
        }
        return ClientTarget(host: String(host), port: port, rooms: rooms)
    }

    private static func parsePort(_ text: Substring, in whole: String) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(description: "\(whole): the port must be 1 to 65535")
        }
        return port
    }

    /// "host:port", with brackets for IPv6.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
