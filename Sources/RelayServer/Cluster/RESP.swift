/// Redis's wire format (RESP2 and the RESP3 types Redis 7 sends after
/// `HELLO 3`), both ways, with no I/O: commands out as bytes, replies in as
/// values. Bulk strings are length-prefixed, so a payload may hold any byte.
public enum RESPValue: Equatable, Sendable {
    case simple(String)
    case error(String)
    case integer(Int64)
    /// A bulk string; `nil` is RESP2's null bulk string.
    case bulk([UInt8]?)
    case array([RESPValue]?)
    /// RESP3's out-of-band message (pub/sub deliveries, `>`).
    case push([RESPValue])
    /// RESP3 `_`, and map/set/double/bool read as what they carry.
    case null

    /// The text of a simple or bulk string.
    public var text: String? {
        switch self {
        case .simple(let text): return text
        case .bulk(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .simple(let text): return Array(text.utf8)
        case .bulk(let bytes): return bytes
        default: return nil
        }
    }

    /// The elements of an array or a push.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values): return values
        case .push(let values): return values
        default: return nil
        }
    }
}

public enum RESP {
    /// A command as Redis reads it: an array of bulk strings.
    public static func command(_ words: [UInt8]...) -> [UInt8] { command(words) }

    public static func command(_ words: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(words.count)\r\n".utf8)
        for word in words {
            out += "$\(word.count)\r\n".utf8
            out += word
            out += [13, 10]
        }
        return out
    }

    public static func command(_ words: String...) -> [UInt8] { command(words.map { Array($0.utf8) }) }
}

/// What the parser refuses: a reply Redis would never send. The connection
/// is then closed and made again (its stream can no longer be trusted).
public struct RESPError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// An incremental RESP reader: bytes in as they arrive, whole values out.
/// Bounded: a bulk string over `maxBulk`, an aggregate over `maxElements`
/// or nesting deeper than `maxDepth` is an error, not an allocation.
public struct RESPParser {
    public let maxBulk: Int
    public let maxElements: Int
    public let maxDepth = 8
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxBulk: Int = 1 << 20, maxElements: Int = 1 << 20) {
        self.maxBulk = maxBulk
        self.maxElements = maxElements
    }

    /// Bytes held waiting for the rest of a value.
    public var pending: Int { buffer.count - start }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole value, nil when more bytes are needed.
    public mutating func next() throws(RESPError) -> RESPValue? {
        var at = start
        guard let value = try parse(&at, depth: 0) else {
            // A header line that never ends is as bad as an oversized bulk.
            if pending > maxBulk + 64 { throw RESPError(reason: "Redis reply over \(maxBulk) bytes") }
            return nil
        }
        start = at
        if start > 65536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return value
    }

    /// The line from `at` to its CRLF, moving `at` past it.
    private func line(_ at: inout Int) -> ArraySlice<UInt8>? {
        var i = at
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 {
                let line = buffer[at..<i]
                at = i + 2
                return line
            }
            i += 1
        }
        return nil
    }

    private func integer(_ bytes: ArraySlice<UInt8>) throws(RESPError) -> Int64 {
        guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else {
            throw RESPError(reason: "Redis sent a bad number: \(String(decoding: bytes.prefix(20), as: UTF8.self))")
        }
        return value
    }

    private func parse(_ at: inout Int, depth: Int) throws(RESPError) -> RESPValue? {
        guard at < buffer.count else { return nil }
        guard depth < maxDepth else { throw RESPError(reason: "Redis reply nested over \(maxDepth) deep") }
        let type = buffer[at]
        var cursor = at + 1
        guard let header = line(&cursor) else { return nil }
        let value: RESPValue
        switch type {
        case UInt8(ascii: "+"): value = .simple(String(decoding: header, as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "!"): value = .error(String(decoding: header, as: UTF8.self))
        case UInt8(ascii: ":"): value = .integer(try integer(header))
        case UInt8(ascii: "_"): value = .null
        case UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("): value = .simple(String(decoding: header, as: UTF8.self))
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            let length = try integer(header)
            if length < 0 { value = .bulk(nil); break }
            guard length <= maxBulk else { throw RESPError(reason: "Redis reply over \(maxBulk) bytes") }
            let end = cursor + Int(length)
            guard end + 2 <= buffer.count else { return nil }
            guard buffer[end] == 13 && buffer[end + 1] == 10 else { throw RESPError(reason: "Redis bulk string without its CRLF") }
            value = .bulk(Array(buffer[cursor..<end]))
            cursor = end + 2
        case UInt8(ascii: "*"), UInt8(ascii: ">"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try integer(header)
            if count < 0 { value = .array(nil); break }
            // A map's count is of pairs; an attribute (|) precedes the value it annotates.
            let elements = (type == UInt8(ascii: "%") || type == UInt8(ascii: "|")) ? count * 2 : count
            guard elements <= Int64(maxElements) else { throw RESPError(reason: "Redis reply with over \(maxElements) elements") }
            var values: [RESPValue] = []
            values.reserveCapacity(Int(min(elements, 1024)))
            for _ in 0..<elements {
                guard let element = try parse(&cursor, depth: depth + 1) else { return nil }
                values.append(element)
            }
            if type == UInt8(ascii: "|") {
                at = cursor
                return try parse(&at, depth: depth)
            }
            value = type == UInt8(ascii: ">") ? .push(values) : .array(values)
        default:
            throw RESPError(reason: "Redis sent an unknown reply type \(type)")
        }
        at = cursor
        return value
    }
}
