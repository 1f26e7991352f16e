import RelayClient
import RelayServer
import RelayStore
#if canImport(Glibc)
import Glibc
#endif

/// `relay serve --data DIR`: the directory (mode 0700), its database
/// (`relay.db`, SQLite in WAL mode), and what the server gets from it: the
/// history reader on the loop's thread and the writer off it.
struct DataDirectory {
    let directory: String
    var path: String { directory + "/relay.db" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ directory: String) throws {
        self.directory = directory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw Failure(description: "--data \(directory): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(description: "--data \(directory): not a directory")
        }
    }

    /// The writer (started), and the history the core reads: one connection each.
    func open(keepLines: Int, keepDays: Int) throws -> (PersistentHistory, StoreWriter) {
        let writer = try StoreWriter(path: path, keepLines: keepLines, keepFor: keepDays > 0 ? Int64(keepDays) * 86_400_000 : nil)
        let reader = try Database(path: path)
        let meta = MetaTable(reader)
        let prefix: String
        if let stored = try meta.value("msgid-prefix") {
            prefix = stored
        } else {
            // The first run's: msgids stay the same across restarts, and never repeat.
            prefix = String(UInt64(time(nil)) * 1000, radix: 36)
            try meta.set("msgid-prefix", prefix)
        }
        let history = StateTables(reader)
        let since = keepDays > 0 ? { Int64(time(nil)) * 1000 - Int64(keepDays) * 86_400_000 } : { Int64.min }
        let lastMsgid = max(try history.lastMsgid(), try meta.value("last-msgid").flatMap(UInt64.init) ?? 0)
        var persistence = PersistentHistory(msgidPrefix: prefix, lastMsgid: lastMsgid, accounts: try history.accounts()) { room, limit in
            // An indexed read of at most `limit` rows; a failure costs the room its old lines, not the server.
            (try? history.recent(room: room, limit: limit, since: since())) ?? []
        } search: { room, words, limit in
            (try? history.search(room: room, words: words, limit: limit)) ?? []
        }
        persistence.channels = try history.channels()
        persistence.keptLines = keepLines
        try writer.start()
        return (persistence, writer)
    }

    /// `--check`: the problems found (none: the data is sound).
    func check() throws -> [String] {
        guard access(path, F_OK) == 0 else { throw Failure(description: "\(path): no data here yet") }
        let database = try Database(path: path, create: false)
        return try Schema.problems(in: database)
    }

    /// `--export FILE`: one JSON object per line: the server's facts, the
    /// accounts (with their password hashes: keep the file as safe as the data),
    /// then every history line, oldest first.
    func export(to file: String) throws -> Int {
        guard access(path, F_OK) == 0 else { throw Failure(description: "\(path): no data here yet") }
        let database = try Database(path: path, create: false)
        try Schema.migrate(database)
        // Mode 0600: the file holds password hashes.
        let fd = Glibc.open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0, let out = fdopen(fd, "w") else { throw Failure(description: "\(file): \(String(cString: strerror(errno)))") }
        defer { fclose(out) }
        var count = 0
        func write(_ line: String) { fputs(line + "\n", out) }
        if let prefix = try MetaTable(database).value("msgid-prefix") {
            write(JSONWriter.object([("type", "meta"), ("key", "msgid-prefix"), ("value", prefix)]))
        }
        if let last = try MetaTable(database).value("last-msgid") {
            write(JSONWriter.object([("type", "meta"), ("key", "last-msgid"), ("value", last)]))
        }
        for account in try StateTables(database).accounts() {
            write(JSONWriter.object([("type", "account"), ("name", account.name), ("password_hash", account.passwordHash),
                                     ("created", String(account.createdMillis)), ("certificates", account.certificates.joined(separator: " "))]))
        }
        for channel in try StateTables(database).channels() {
            var members = [("type", "channel"), ("name", channel.name), ("founder", channel.founder), ("flags", channel.flags),
                           ("topic_set_at", String(channel.topicSetAt))]
            if let topic = channel.topic { members.append(("topic", topic)) }
            if let setBy = channel.topicSetBy { members.append(("topic_set_by", setBy)) }
            if let key = channel.key { members.append(("key", key)) }
            if let limit = channel.limit { members.append(("limit", String(limit))) }
            write(JSONWriter.object(members))
            for mask in channel.masks {
                write(JSONWriter.object([("type", "mask"), ("room", channel.name), ("list", mask.list), ("mask", mask.mask),
                                         ("set_by", mask.setBy), ("set_at", String(mask.setAt))]))
            }
        }
        try StateTables(database).all { line in
            var members = [("type", "history"), ("room", line.room), ("msgid", String(line.msgid)), ("millis", String(line.millis)),
                           ("source", line.source), ("text", line.text)]
            if let account = line.account { members.append(("account", account)) }
            write(JSONWriter.object(members, flags: [("action", line.isAction), ("bot", line.bot)]))
            count += 1
        }
        guard fflush(out) == 0, ferror(out) == 0 else { throw Failure(description: "\(file): \(String(cString: strerror(errno)))") }
        return count
    }

    /// `--import FILE`: what `--export` wrote, into data that has no history yet, in one transaction.
    func importing(from file: String) throws -> Int {
        let lines: [String]
        do {
            lines = try Secrets.lines(of: file)
        } catch {
            throw Failure(description: "\(error)")
        }
        let database = try Database(path: path)
        try Schema.migrate(database)
        let history = StateTables(database), meta = MetaTable(database)
        guard try history.lastMsgid() == 0, try history.accounts().isEmpty else {
            throw Failure(description: "\(path) has history already: import into an empty --data directory")
        }
        var count = 0
        var channels: [ChannelRecord] = []
        try database.transaction {
            for (index, text) in lines.enumerated() where !text.isEmpty {
                func bad(_ why: String) -> Failure { Failure(description: "\(file):\(index + 1): \(why)") }
                let value: JSONValue
                do { value = try JSONValue.parse(text) } catch { throw bad("\(error)") }
                guard case .object(let object) = value else { throw bad("expected a JSON object") }
                func string(_ key: String) -> String? { object[key]?.stringValue }
                switch string("type") {
                case "meta":
                    guard let key = string("key"), let value = string("value") else { throw bad("a meta line needs key and value") }
                    try meta.set(key, value)
                case "history":
                    guard let room = string("room"), let msgid = string("msgid").flatMap(UInt64.init),
                          let millis = string("millis").flatMap(Int64.init), let source = string("source"), let text = string("text") else {
                        throw bad("a history line needs room, msgid, millis, source and text")
                    }
                    try history.apply(.said(StoredLine(room: room, text: text, isAction: object["action"] == .bool(true), source: source,
                                                       millis: millis, msgid: msgid, account: string("account"),
                                                       bot: object["bot"] == .bool(true))))
                    count += 1
                case "channel":
                    guard let name = string("name"), let founder = string("founder"), let flags = string("flags") else {
                        throw bad("a channel line needs name, founder and flags")
                    }
                    var record = ChannelRecord(name: name, founder: founder, flags: flags)
                    record.topic = string("topic")
                    record.topicSetBy = string("topic_set_by")
                    record.topicSetAt = string("topic_set_at").flatMap(Int64.init) ?? 0
                    record.key = string("key")
                    record.limit = string("limit").flatMap { Int($0) }
                    channels.append(record)
                case "mask":
                    guard let room = string("room"), let index = channels.lastIndex(where: { $0.name == room }),
                          let list = string("list"), ["b", "e", "I"].contains(list), let mask = string("mask") else {
                        throw bad("a mask line needs the room (after its channel line), list b, e or I, and mask")
                    }
                    channels[index].masks.append(ChannelRecord.Mask(list: list, mask: mask, setBy: string("set_by") ?? "",
                                                                    setAt: string("set_at").flatMap(Int64.init) ?? 0))
                case "account":
                    guard let name = string("name"), let hash = string("password_hash"), let created = string("created").flatMap(Int64.init) else {
                        throw bad("an account line needs name, password_hash and created")
                    }
                    try history.apply(.account(AccountRecord(name: name, passwordHash: hash, createdMillis: created,
                                                             certificates: (string("certificates") ?? "").split(separator: " ").map(String.init))))
                default:
                    throw bad("unknown type \(string("type") ?? "(none)")")
                }
            }
            for channel in channels { try history.apply(.channel(channel)) }
        }
        return count
    }
}
