/// CTCP ACTION ("/me waves"): the one CTCP that is chat, built and read here
/// for the server, the client and the bridge alike.
public enum CTCP {
    /// The payload of an action: "\u{1}ACTION waves\u{1}" for "waves".
    public static func action(_ text: String) -> String { "\u{1}ACTION \(text)\u{1}" }

    /// The text of an action ("waves"), or nil when `payload` is not one; a
    /// missing closing \u{1} is forgiven, as clients do.
    public static func actionText(_ payload: String) -> String? {
        guard payload.hasPrefix("\u{1}ACTION ") else { return nil }
        var text = payload.dropFirst(8)
        if text.hasSuffix("\u{1}") { text = text.dropLast() }
        return String(text)
    }
}
