import RelayIRC

/// One HTTP/1.1 request, as the parser hands it over: nothing in it has been
/// trusted yet.
public struct HTTPRequest: Equatable, Sendable {
    public var method: String
    /// The request target as sent ("/send/%23ops?wait=1").
    public var target: String
    /// Header names lowercased, in the order sent; a repeated header stays repeated.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The client may send another request on this connection.
    public var keepAlive: Bool

    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                keepAlive: Bool = true) {
        self.method = method
        self.target = target
        self.headers = headers.map { ($0.name.lowercased(), $0.value) }
        self.body = body
        self.keepAlive = keepAlive
    }

    public static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.target == b.target && a.body == b.body && a.keepAlive == b.keepAlive
            && a.headers.elementsEqual(b.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first header named `name` (any case).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    /// The path, split on "/" and percent-decoded; nil when a part does not decode.
    public var pathParts: [String]? {
        let path = target.prefix { $0 != "?" && $0 != "#" }
        var parts: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let part = Self.percentDecoded(raw) else { return nil }
            parts.append(part)
        }
        return parts
    }

    /// The query's parameters (`?wait=1&x`), decoded; later ones win.
    public var query: [String: String] {
        guard let mark = target.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let name = pair.prefix { $0 != "=" }
            let value = pair.dropFirst(name.count + 1)
            if let name = Self.percentDecoded(name), let value = Self.percentDecoded(value) { result[name] = value }
        }
        return result
    }

    /// `%XX` and `+` decoded; nil when a sequence is malformed, the result is not
    /// UTF-8, or it holds a control byte (a room name never does).
    static func percentDecoded(_ text: Substring) -> String? {
        guard let bytes = PercentDecoding.bytes(text, plusIsSpace: true), !bytes.contains(where: { $0 < 32 || $0 == 127 }) else {
            return nil
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
