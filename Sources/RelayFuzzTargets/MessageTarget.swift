import RelayIRC

/// The IRC message parser: whatever parses serializes to one clean line that
/// parses back to the same message.
enum MessageTarget {
    static func run(_ data: [UInt8]) {
        guard let message = try? Message.parse(data[...]) else { return }
        let wire = message.bytes
        precondition(isCleanWireLine(wire), "serialized a line break or NUL inside a line")
        guard let again = try? Message.parse(wire.dropLast(2)) else {
            preconditionFailure("a parsed message serialized to something that does not parse")
        }
        precondition(again == message, "parse → serialize → parse changed the message")
    }
}
