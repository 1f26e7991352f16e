import RelayIRC

/// The IRC message parser: whatever parses serializes to one clean line that
/// parses back to the same message. (Invalid UTF-8 is parsed as U+FFFD, three
/// bytes for one: such a message may serialize past the length limit, and is
/// only held to the round trip when it still fits.)
enum MessageTarget {
    static func run(_ data: [UInt8]) {
        guard let message = try? Message.parse(data[...]) else { return }
        let wire = message.bytes
        precondition(isCleanWireLine(wire), "serialized a line break or NUL inside a line")
        if String(validating: data, as: UTF8.self) == nil && wire.count > 512 { return }
        guard let again = try? Message.parse(wire.dropLast(2)) else {
            preconditionFailure("a parsed message serialized to something that does not parse")
        }
        precondition(again == message, "parse → serialize → parse changed the message")
    }
}
