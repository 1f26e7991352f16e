/// What a line costs in flood-control tokens. Most cost one; a command that
/// walks every user or room (WHO, LIST, NAMES of everything, WHOIS with a
/// mask, and the plain /who, /rooms) costs `config.expensiveCommandCost`, as
/// InspIRCd's penalties and Ergo's fakelag do: ten clients cannot take turns
/// asking for the whole server and stall everyone else.
extension ChatServer {
    func floodCost(of line: ArraySlice<UInt8>, for user: User) -> Double {
        Double(Self.isExpensive(line, plain: user.isPlain) ? config.expensiveCommandCost : 1)  // the bucket caps it at its burst
    }

    /// Looks at the command word only: the line has not been parsed yet.
    static func isExpensive(_ line: ArraySlice<UInt8>, plain: Bool) -> Bool {
        let space = UInt8(ascii: " ")
        var words = line.split(separator: space, maxSplits: 3, omittingEmptySubsequences: true)[...]
        if plain {
            guard let first = words.first, first.first == UInt8(ascii: "/") else { return false }
            let command = String(decoding: first.dropFirst(), as: UTF8.self).lowercased()
            return ["who", "names", "rooms", "list"].contains(command)
        }
        if words.first?.first == UInt8(ascii: "@") { words = words.dropFirst() }
        if words.first?.first == UInt8(ascii: ":") { words = words.dropFirst() }
        guard let word = words.first else { return false }
        let command = String(decoding: word, as: UTF8.self).uppercased()
        let arguments = words.dropFirst()
        switch command {
        case "WHO", "LIST": return true
        case "NAMES": return arguments.isEmpty
        case "WHOIS": return arguments.contains { $0.contains(UInt8(ascii: "*")) || $0.contains(UInt8(ascii: "?")) }
        default: return false
        }
    }
}
