import DequeModule
import RelayIRC

/// A plain line-chat server instead of IRC (`tcp://host:port`): the classic
/// select chat room, `ncat --chat`, smallchat. Each line read is a message in
/// the one room the server is; each line written is said there. There is no
/// registration, no PING and no acknowledgement: the session is "registered"
/// and "in the room" once connected, and a line counts as confirmed once it
/// is written (nothing better exists on such a server).
///
/// A line `<nick> text` (how `ncat --chat` and most such servers show who
/// spoke) is `nick` saying `text`; `<announce> ...` is ncat's news; any other
/// line is said by `speaker`. A line equal to one we wrote lately is an echo
/// of ours and not news (a server that echoes must not make a bridge loop).
struct PlainDialect {
    let room: String
    let speaker: String
    /// Events due at the next tick (registration, confirmations): hosts read a
    /// session's events from `receive` and `tick`, and a plain server says nothing first.
    var due: [ClientEvent] = []
    /// The last lines written, as written (without the newline).
    private var recent = Deque<[UInt8]>()
    static let echoMemory = 64
    /// A plain server has no line limit; long text is still split, so one line stays readable.
    static let lineBytes = 1024

    init(room: String, speaker: String) {
        self.room = room
        self.speaker = speaker
    }

    mutating func started(nick: String) {
        due = [.registered(nick: nick), .joined(room: room)]
    }

    /// The bytes for a line of text (LF-terminated: every such server splits on
    /// LF). Zero-width spaces go: a bridge's marks are for IRC clients, and a
    /// plain server shows them as noise (ncat --chat as `\342\200\213`).
    mutating func line(_ text: String) -> [UInt8] {
        let bytes = Array(text.replacing("\u{200B}", with: "").utf8)
        recent.append(bytes)
        if recent.count > Self.echoMemory { recent.removeFirst() }
        return bytes + [10]
    }

    mutating func receive(_ line: ArraySlice<UInt8>) -> [ClientEvent] {
        if let echo = recent.firstIndex(where: { $0.elementsEqual(line) }) {
            recent.remove(at: echo)
            return []
        }
        let text = TextScrub.oneLine(String(decoding: line, as: UTF8.self))
        guard text.contains(where: { $0 != " " }) else { return [] }
        if text.hasPrefix("<"), let close = text.firstIndex(of: ">"), text[text.index(after: close)...].hasPrefix(" ") {
            let nick = String(text[text.index(after: text.startIndex)..<close])
            let said = String(text[text.index(close, offsetBy: 2)...])
            if nick == "announce" { return [.serverText(said)] }
            if !nick.isEmpty, !nick.contains(" ") {
                return [.chat(ChatLine(room: room, nick: nick, text: said, kind: .message))]
            }
        }
        return [.chat(ChatLine(room: room, nick: speaker, text: text, kind: .message))]
    }
}
