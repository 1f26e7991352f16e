import RelayIRC

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

/// An account (`serve --data`): its name as registered, and its password's hash.
public struct AccountRecord: Equatable, Sendable {
    public var name: String
    /// `PasswordHash`'s encoding; the password itself is never kept.
    public var passwordHash: String
    public var createdMillis: Int64
    /// TLS client certificates (SHA-256, hex) that log in to it by SASL EXTERNAL.
    public var certificates: [String] = []

    public init(name: String, passwordHash: String, createdMillis: Int64, certificates: [String] = []) {
        self.name = name
        self.passwordHash = passwordHash
        self.createdMillis = createdMillis
        self.certificates = certificates
    }
}

/// What changed since the host last asked: the host writes these to disk, in
/// order, once a loop turn, in one transaction.
public enum StateChange: Equatable, Sendable {
    case said(StoredLine)
    /// Redacted (draft/message-redaction): gone from disk too.
    case forgot(room: String, msgid: UInt64)
    /// An account, written whole (new, or its certificate fingerprints changed).
    case account(AccountRecord)
    /// A registered room's state, whole (written over what was there).
    case channel(ChannelRecord)
    case unregistered(room: String)
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
    /// A room's most recent lines holding every word (any case), at most
    /// `limit`, oldest first; it looks through a bounded number of recent lines.
    public var search: (_ folded: String, _ words: [String], _ limit: Int) -> [StoredLine]
    /// Every account and registered room, read once at start.
    public var accounts: [AccountRecord]
    public var channels: [ChannelRecord] = []
    /// Lines the disk keeps per room (`--history-lines`): how far back CHATHISTORY reaches.
    public var keptLines = 0

    public init(msgidPrefix: String, lastMsgid: UInt64, accounts: [AccountRecord] = [],
                recent: @escaping (_ folded: String, _ limit: Int) -> [StoredLine],
                search: @escaping (_ folded: String, _ words: [String], _ limit: Int) -> [StoredLine] = { _, _, _ in [] }) {
        self.accounts = accounts
        self.msgidPrefix = msgidPrefix
        self.lastMsgid = lastMsgid
        self.recent = recent
        self.search = search
    }
}

extension ChatServer {
    /// `/history [N]` and `/search WORDS` for plain users: from the disk with
    /// `--data` (what was said before a restart included), else from the room's memory.
    func plainHistory(_ user: User, _ argument: String, search: Bool) throws(ChatError) {
        guard let room = user.currentRoom else { throw .notInARoom }
        let limit = 20
        var lines: [StoredLine]
        if search {
            let words = argument.split(separator: " ").prefix(5).map { $0.lowercased() }
            guard !words.isEmpty else { throw .usage("/search WORDS") }
            if let persistence {
                lines = persistence.search(room.folded, words, limit)
            } else {
                lines = room.history.filter { line in words.allSatisfy { line.text.lowercased().contains($0) } }.suffix(limit).map { stored($0, room) }
            }
            user.send(Plain.info(lines.isEmpty ? "Nothing in \(room.name) matches \(words.joined(separator: " "))"
                                               : "Lines in \(room.name) with \(words.joined(separator: " ")):"))
        } else {
            let asked = argument.isEmpty ? limit : Int(argument.split(separator: " ").first ?? "") ?? 0
            guard (1...100).contains(asked) else { throw .usage("/history [1-100]") }
            lines = persistence?.recent(room.folded, asked) ?? room.history.suffix(asked).map { stored($0, room) }
            user.send(Plain.info(lines.isEmpty ? "Nothing was said in \(room.name) yet" : "The last \(lines.count) in \(room.name):"))
        }
        for line in lines {
            let time = CivilTime(unixSeconds: line.millis / 1000)
            let nick = line.source.prefix { $0 != "!" }
            user.send(Plain.line("[\(time.dateAndMinute)] " + (line.isAction ? "* \(nick) \(line.text)" : "<\(nick)> \(line.text)")))
        }
    }

    private func stored(_ line: HistoryLine, _ room: Room) -> StoredLine {
        StoredLine(room: room.folded, text: line.text, isAction: line.isAction, source: line.source, millis: line.millis,
                   msgid: line.msgid, account: line.account, bot: line.bot)
    }

    /// The history changes since the last call, oldest first (empty without `--data`).
    public func takeStateChanges() -> [StateChange] {
        defer { stateChanges.removeAll(keepingCapacity: true) }
        return stateChanges
    }

    /// `line` kept in `room`'s history, and journaled for the disk.
    func remember(_ line: HistoryLine, in room: Room) {
        guard room.historyLimit > 0 else { return }
        room.remember(line)
        guard persistence != nil else { return }
        stateChanges.append(.said(StoredLine(room: room.folded, text: line.text, isAction: line.isAction, source: line.source,
                                               millis: line.millis, msgid: line.msgid, account: line.account, bot: line.bot)))
    }

    /// Every piece of the message `msgid` gone from `room`'s history; whether there was one.
    func forget(msgid: UInt64, in room: Room) -> Bool {
        var found = false
        while room.forget(msgid: msgid) != nil { found = true }  // a plain user's long line is kept as several pieces
        if persistence != nil { stateChanges.append(.forgot(room: room.folded, msgid: msgid)) }
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
