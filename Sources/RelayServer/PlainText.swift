import RelayIRC

/// The plain dialect's lines: readable text for people on nc or telnet.
enum Plain {
    /// A complete line with CRLF (telnet wants CR; nc users never notice it).
    /// Scrubbed for a terminal (TextScrub.printable): text from other users
    /// must not be able to move a terminal's cursor or change its colours
    /// (ESC and C1 sequences, IRC formatting codes).
    static func line(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        TextScrub.printable(utf8: text.utf8, into: &out)
        out.append(UInt8(ascii: "\r"))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// A line from the server itself: "-!- text".
    static func info(_ text: String) -> [UInt8] {
        line("-!- " + text)
    }

    static let help: [String] = [
        "Type a line to talk to your room. Commands:",
        "  /nick NAME        change your nick",
        "  /join ROOM [KEY]  move to ROOM (created if new)",
        "  /part [REASON]    leave your room",
        "  /rooms            list the rooms",
        "  /who [ROOM]       who is in your room (or ROOM)",
        "  /msg NICK TEXT    a private message",
        "  /me TEXT          an action: * nick TEXT",
        "  /topic [TEXT]     show or set the room's topic",
        "  /history [N]      the room's last N lines (20), with their times",
        "  /search WORDS     the room's recent lines with every word",
        "  /register PASSWORD  an account named as your nick (servers with --data)",
        "  /login [NAME] PASSWORD  log in to your account",
        "  /quit [REASON]    leave the server",
        "  /help             this list",
        "Start a line with // to send a line that begins with /.",
    ]

    /// "ana, bob, carol".
    static func list(_ names: [String]) -> String {
        names.joined(separator: ", ")
    }
}
