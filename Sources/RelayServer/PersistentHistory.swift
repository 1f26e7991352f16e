/// A line of room history as it outlives the process (`relay serve --data`).
public struct StoredLine: Equatable, Sendable {
    /// The room's folded name.
    public var room: String
    public var text: String
    public var isAction: Bool
    /// "nick!user@host" when it was said.
    public var source: String
    public var millis: Int64
    /// The number of its msgid (the server's persisted prefix makes the rest).
    public var msgid: UInt64
    public var account: String?
    public var bot: Bool

    public init(room: String, text: String, isAction: Bool, source: String, millis: Int64, msgid: UInt64,
                account: String? = nil, bot: Bool = false) {
        self.room = room
        self.text = text
        self.isAction = isAction
        self.source = source
        self.millis = millis
        self.msgid = msgid
        self.account = account
        self.bot = bot
    }
}

/// What changed in rooms' history since the host last asked: the host writes
/// these to disk, in order, once a loop turn, in one transaction.
public enum HistoryChange: Equatable, Sendable {
    case said(StoredLine)
    /// Redacted (draft/message-redaction): gone from disk too.
    case forgot(room: String, msgid: UInt64)
}

/// Room history kept on disk: what the core reads when a room comes into being
/// (a restart, or the first join after everyone left), and the msgid space to go on in.
public struct PersistentHistory {
    /// The msgid prefix of the first run with this data, so ids stay valid across restarts.
    public var msgidPrefix: String
    /// The highest msgid number stored: new ones go on after it.
    public var lastMsgid: UInt64
    /// A room's most recent lines (at most `limit`), oldest first. Runs on the
    /// loop: bounded by the limit, an indexed read.
    public var recent: (_ folded: String, _ limit: Int) -> [StoredLine]

    public init(msgidPrefix: String, lastMsgid: UInt64, recent: @escaping (_ folded: String, _ limit: Int) -> [StoredLine]) {
        self.msgidPrefix = msgidPrefix
        self.lastMsgid = lastMsgid
        self.recent = recent
    }
}

extension ChatServer {
    /// The history changes since the last call, oldest first (empty without `--data`).
    public func takeHistoryChanges() -> [HistoryChange] {
        defer { historyChanges.removeAll(keepingCapacity: true) }
        return historyChanges
    }

    /// `line` kept in `room`'s history, and journaled for the disk.
    func remember(_ line: HistoryLine, in room: Room) {
        guard room.historyLimit > 0 else { return }
        room.remember(line)
        guard persistence != nil else { return }
        historyChanges.append(.said(StoredLine(room: room.folded, text: line.text, isAction: line.isAction, source: line.source,
                                               millis: line.millis, msgid: line.msgid, account: line.account, bot: line.bot)))
    }

    /// Every piece of the message `msgid` gone from `room`'s history; whether there was one.
    func forget(msgid: UInt64, in room: Room) -> Bool {
        var found = false
        while room.forget(msgid: msgid) != nil { found = true }  // a plain user's long line is kept as several pieces
        if persistence != nil { historyChanges.append(.forgot(room: room.folded, msgid: msgid)) }
        return found
    }

    /// A new room's history, from the disk: what was said there before a
    /// restart, or before everyone left.
    func restoreHistory(of room: Room) {
        guard let persistence, room.historyLimit > 0 else { return }
        for line in persistence.recent(room.folded, room.historyLimit) {
            // Said by a connection of another run: nobody here may take it back as its sender.
            room.remember(HistoryLine(text: line.text, isAction: line.isAction, source: line.source, sender: -1,
                                      millis: line.millis, msgid: line.msgid, account: line.account, bot: line.bot))
        }
    }
}
