import RelayIRC
import RelayServer

/// What `--data` keeps, in SQLite: rooms' history (appended and pruned by the
/// writer, read by the loop), accounts and registered rooms.
public final class StateTables {
    private let database: Database
    private lazy var insert = try! database.prepare(
        "INSERT INTO history (room, msgid, millis, source, text, action, account, bot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    private lazy var delete = try! database.prepare("DELETE FROM history WHERE room = ? AND msgid = ?")
    private lazy var recentLines = try! database.prepare(
        "SELECT room, msgid, millis, source, text, action, account, bot FROM history WHERE room = ? AND millis >= ? ORDER BY id DESC LIMIT ?")

    public init(_ database: Database) {
        self.database = database
    }

    private lazy var insertAccount = try! database.prepare(
        """
        INSERT INTO accounts (folded, name, password_hash, created, certificates) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(folded) DO UPDATE SET password_hash = excluded.password_hash, certificates = excluded.certificates
        """)

    private lazy var upsertChannel = try! database.prepare("""
        INSERT INTO channels (folded, name, founder, topic, topic_set_by, topic_set_at, flags, key, user_limit)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(folded) DO UPDATE SET name = excluded.name, founder = excluded.founder, topic = excluded.topic,
            topic_set_by = excluded.topic_set_by, topic_set_at = excluded.topic_set_at, flags = excluded.flags,
            key = excluded.key, user_limit = excluded.user_limit
        """)
    private lazy var deleteMasks = try! database.prepare("DELETE FROM channel_masks WHERE folded = ?")
    private lazy var insertMask = try! database.prepare(
        "INSERT INTO channel_masks (folded, list, mask, set_by, set_at) VALUES (?, ?, ?, ?, ?)")
    private lazy var deleteChannel = try! database.prepare("DELETE FROM channels WHERE folded = ?")

    public func apply(_ change: StateChange) throws {
        switch change {
        case .channel(let channel):
            let folded = Casemapping.fold(channel.name)
            try upsertChannel.run([.text(folded), .text(channel.name), .text(channel.founder), .optional(channel.topic),
                                   .optional(channel.topicSetBy), .int(channel.topicSetAt), .text(channel.flags),
                                   .optional(channel.key), channel.limit.map { .int(Int64($0)) } ?? .null])
            try deleteMasks.run([.text(folded)])
            for mask in channel.masks {
                try insertMask.run([.text(folded), .text(mask.list), .text(mask.mask), .text(mask.setBy), .int(mask.setAt)])
            }
        case .unregistered(let room):
            try deleteMasks.run([.text(room)])
            try deleteChannel.run([.text(room)])
        case .account(let account):
            try insertAccount.run([.text(Casemapping.fold(account.name)), .text(account.name), .text(account.passwordHash),
                                   .int(account.createdMillis), .text(account.certificates.joined(separator: " "))])
        case .said(let line):
            try insert.run([.text(line.room), .int(Int64(bitPattern: line.msgid)), .int(line.millis), .text(line.source),
                            .text(line.text), .int(line.isAction ? 1 : 0), .optional(line.account), .int(line.bot ? 1 : 0)])
        case .forgot(let room, let msgid):
            try delete.run([.text(room), .int(Int64(bitPattern: msgid))])
        }
    }

    /// A room's last `limit` lines said at or after `since` (milliseconds), oldest first.
    public func recent(room: String, limit: Int, since: Int64 = .min) throws -> [StoredLine] {
        recentLines.bind([.text(room), .int(since), .int(Int64(limit))])
        var lines: [StoredLine] = []
        while try recentLines.step() { lines.append(Self.line(recentLines)) }
        return lines.reversed()
    }

    /// A room's last `limit` lines holding every one of `words` (ASCII letters in
    /// any case), oldest first, among its newest `window` lines: a search costs
    /// a bounded read on the loop, whatever --history-lines keeps.
    public func search(room: String, words: [String], limit: Int, window: Int = 10_000) throws -> [StoredLine] {
        let conditions = words.map { _ in "text LIKE ? ESCAPE '\\'" }.joined(separator: " AND ")
        let statement = try database.prepare("""
            SELECT room, msgid, millis, source, text, action, account, bot FROM history
            WHERE id IN (SELECT id FROM history WHERE room = ? ORDER BY id DESC LIMIT ?) AND \(conditions)
            ORDER BY id DESC LIMIT ?
            """)
        let patterns = words.map { word in
            "%" + word.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
        }
        statement.bind([.text(room), .int(Int64(window))] + patterns.map(Statement.Value.text) + [.int(Int64(limit))])
        var lines: [StoredLine] = []
        while try statement.step() { lines.append(Self.line(statement)) }
        return lines.reversed()
    }

    /// Every line, oldest first, a batch at a time (export).
    public func all(_ each: (StoredLine) throws -> Void) throws {
        let statement = try database.prepare(
            "SELECT room, msgid, millis, source, text, action, account, bot FROM history ORDER BY id")
        while try statement.step() { try each(Self.line(statement)) }
    }

    /// Keeps at most `lines` per room and nothing older than `before` (milliseconds).
    /// `rooms`: only these rooms' counts are looked at (nil: every room's).
    public func prune(keeping lines: Int, before: Int64?, rooms: Set<String>? = nil) throws {
        // By id, which follows time: no index on the time to keep up on every insert.
        if let before {
            // From the oldest on, up to the first line young enough (all of them when none is).
            try database.execute("""
                DELETE FROM history WHERE id < COALESCE(
                    (SELECT id FROM history WHERE millis >= \(before) ORDER BY id LIMIT 1),
                    (SELECT MAX(id) + 1 FROM history))
                """)
        }
        guard let rooms else {
            return try database.execute("""
                DELETE FROM history WHERE id IN (
                    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY room ORDER BY id DESC) AS age FROM history)
                    WHERE age > \(lines))
                """)
        }
        // Per room, through its index: everything before its Nth newest line.
        for room in rooms {
            try pruneRoom.run([.text(room), .text(room), .int(Int64(max(lines, 1) - 1))])
            if lines == 0 { try database.prepare("DELETE FROM history WHERE room = ?").run([.text(room)]) }
        }
    }

    private lazy var pruneRoom = try! database.prepare("""
        DELETE FROM history WHERE room = ? AND id < (SELECT id FROM history WHERE room = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
        """)

    /// Every account, to keep in memory (there are few, and a login must not wait for the disk).
    public func accounts() throws -> [AccountRecord] {
        let statement = try database.prepare("SELECT name, password_hash, created, certificates FROM accounts ORDER BY folded")
        var records: [AccountRecord] = []
        while try statement.step() {
            records.append(AccountRecord(name: statement.text(0) ?? "", passwordHash: statement.text(1) ?? "", createdMillis: statement.int(2),
                                         certificates: (statement.text(3) ?? "").split(separator: " ").map(String.init)))
        }
        return records
    }

    /// Every registered room, with its lists.
    public func channels() throws -> [ChannelRecord] {
        var records: [String: ChannelRecord] = [:]
        var order: [String] = []
        let rows = try database.prepare(
            "SELECT folded, name, founder, topic, topic_set_by, topic_set_at, flags, key, user_limit FROM channels ORDER BY folded")
        while try rows.step() {
            var record = ChannelRecord(name: rows.text(1) ?? "", founder: rows.text(2) ?? "", flags: rows.text(6) ?? "")
            record.topic = rows.text(3)
            record.topicSetBy = rows.text(4)
            record.topicSetAt = rows.int(5)
            record.key = rows.text(7)
            record.limit = rows.text(8).flatMap { Int($0) }
            let folded = rows.text(0) ?? ""
            records[folded] = record
            order.append(folded)
        }
        let masks = try database.prepare("SELECT folded, list, mask, set_by, set_at FROM channel_masks ORDER BY rowid")
        while try masks.step() {
            records[masks.text(0) ?? ""]?.masks.append(ChannelRecord.Mask(list: masks.text(1) ?? "b", mask: masks.text(2) ?? "",
                                                                           setBy: masks.text(3) ?? "", setAt: masks.int(4)))
        }
        return order.compactMap { records[$0] }
    }

    public func lastMsgid() throws -> UInt64 {
        let statement = try database.prepare("SELECT MAX(msgid) FROM history")
        guard try statement.step() else { return 0 }
        return UInt64(bitPattern: statement.int(0))
    }

    private static func line(_ row: Statement) -> StoredLine {
        StoredLine(room: row.text(0) ?? "", text: row.text(4) ?? "", isAction: row.int(5) != 0, source: row.text(3) ?? "",
                   millis: row.int(2), msgid: UInt64(bitPattern: row.int(1)), account: row.text(6), bot: row.int(7) != 0)
    }
}

/// The server's facts kept with the data (key, value).
public final class MetaTable {
    private let database: Database

    public init(_ database: Database) { self.database = database }

    public func value(_ key: String) throws -> String? {
        let statement = try database.prepare("SELECT value FROM meta WHERE key = ?")
        statement.bind([.text(key)])
        return try statement.step() ? statement.text(0) : nil
    }

    private lazy var upsert = try! database.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")

    public func set(_ key: String, _ value: String) throws {
        try upsert.run([.text(key), .text(value)])
    }
}
