/// The schema, as numbered migrations: each runs once, in order, in one
/// transaction with the version bump (PRAGMA user_version). A database newer
/// than this relay is refused rather than guessed at.
public enum Schema {
    static let migrations: [String] = [
        // 1: room history, and the server's facts (the msgid prefix). One index
        // besides the key: each one costs every insert (a redaction finds its
        // line through the room's index, among the lines kept for the room).
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            room TEXT NOT NULL,
            msgid INTEGER NOT NULL,
            millis INTEGER NOT NULL,
            source TEXT NOT NULL,
            text TEXT NOT NULL,
            action INTEGER NOT NULL DEFAULT 0,
            account TEXT,
            bot INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX history_by_room ON history (room, id);
        """,
        // 2: accounts (the name folded as IRC folds nicks is the key).
        """
        CREATE TABLE accounts (
            folded TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created INTEGER NOT NULL
        );
        """,
        // 3: registered rooms (ChanServ) and their lists.
        """
        CREATE TABLE channels (
            folded TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            founder TEXT NOT NULL,
            topic TEXT,
            topic_set_by TEXT,
            topic_set_at INTEGER NOT NULL DEFAULT 0,
            flags TEXT NOT NULL,
            key TEXT,
            user_limit INTEGER
        );
        CREATE TABLE channel_masks (
            folded TEXT NOT NULL REFERENCES channels (folded) ON DELETE CASCADE,
            list TEXT NOT NULL,
            mask TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at INTEGER NOT NULL
        );
        CREATE INDEX channel_masks_by_room ON channel_masks (folded);
        """,
        // 4: client certificate fingerprints (SASL EXTERNAL), space-separated.
        """
        ALTER TABLE accounts ADD COLUMN certificates TEXT NOT NULL DEFAULT '';
        """,
    ]

    public static var version: Int { migrations.count }

    /// Brings `database` to the current version.
    public static func migrate(_ database: Database) throws {
        let current = try database.userVersion
        guard current <= version else {
            throw StoreError("\(database.path): schema version \(current) is newer than this relay's \(version); use a newer relay")
        }
        for index in current..<version {
            try database.transaction {
                try database.execute(migrations[index])
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    /// What is wrong with the database, if anything (`relay serve --data DIR --check`).
    public static func problems(in database: Database) throws -> [String] {
        var problems: [String] = []
        let current = try database.userVersion
        if current != version { problems.append("schema version \(current), expected \(version)") }
        let check = try database.prepare("PRAGMA integrity_check")
        while try check.step() {
            if let line = check.text(0), line != "ok" { problems.append(line) }
        }
        let keys = try database.prepare("PRAGMA foreign_key_check")
        while try keys.step() { problems.append("foreign key: \(keys.text(0) ?? "?")") }
        return problems
    }
}
