/// One IRC message: `[@tags] [:source] COMMAND param... [:trailing]`.
///
/// The model shared by server, client and bridge. Text is held as `String`;
/// bytes that are not valid UTF-8 are replaced with U+FFFD when parsed, so
/// nothing downstream ever sees or re-emits invalid UTF-8.
public struct Message: Equatable, Sendable {
    public var tags: [String: String]
    public var source: String?
    /// The command, upper-cased ("PRIVMSG"), or a three-digit numeric ("001").
    public var command: String
    public var params: [String]

    public init(tags: [String: String] = [:], source: String? = nil, command: String, params: [String] = []) {
        self.tags = tags
        self.source = source
        self.command = command
        self.params = params
    }

    public init(source: String? = nil, _ command: String, _ params: String...) {
        self.init(source: source, command: command, params: params)
    }

    /// The nick part of the source ("ana" of "ana!a@host").
    public var sourceNick: String? {
        guard let source else { return nil }
        if let bang = source.firstIndex(where: { $0 == "!" || $0 == "@" }) { return String(source[..<bang]) }
        return source
    }
}
