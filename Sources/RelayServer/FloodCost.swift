/// What a line costs in flood-control tokens. Most cost one; a command that
/// walks every user or room (WHO, LIST, NAMES of everything, WHOIS with a
/// mask, and the plain /who, /rooms) or reads history (CHATHISTORY, /history,
/// /search: a read of the disk with --data) costs `config.expensiveCommandCost`, as
/// InspIRCd's penalties and Ergo's fakelag do: ten clients cannot take turns
/// asking for the whole server and stall everyone else.
extension ChatServer {
    func floodCost(of line: ArraySlice<UInt8>, for user: User) -> Double {
        Double(Self.isExpensive(line, plain: user.isPlain) ? config.expensiveCommandCost : 1)  // the bucket caps it at its burst
    }

    /// Looks at the command word only, in the bytes (it runs for every line
    /// received while flood control is on: no String, no array of words).
    static func isExpensive(_ line: ArraySlice<UInt8>, plain: Bool) -> Bool {
        let space = UInt8(ascii: " ")
        var rest = line.drop { $0 == space }
        if plain {
            guard rest.first == UInt8(ascii: "/") else { return false }
            let command = word(&rest).dropFirst()
            return ["who", "names", "rooms", "list", "history", "search"].contains { equalsIgnoringCase(command, $0) }
        }
        // A tags word and a source come before the command.
        if rest.first == UInt8(ascii: "@") { _ = word(&rest) }
        if rest.first == UInt8(ascii: ":") { _ = word(&rest) }
        let command = word(&rest)
        if equalsIgnoringCase(command, "WHO") || equalsIgnoringCase(command, "LIST") || equalsIgnoringCase(command, "CHATHISTORY") { return true }
        if equalsIgnoringCase(command, "NAMES") { return rest.isEmpty }
        if equalsIgnoringCase(command, "WHOIS") { return rest.contains(UInt8(ascii: "*")) || rest.contains(UInt8(ascii: "?")) }
        return false
    }

    /// The next word of `rest`, and `rest` moved past it and the spaces after.
    private static func word(_ rest: inout ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let word = rest.prefix { $0 != UInt8(ascii: " ") }
        rest = rest.dropFirst(word.count).drop { $0 == UInt8(ascii: " ") }
        return word
    }

    /// ASCII letters compared without case (command words are ASCII).
    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        }
    }
}
