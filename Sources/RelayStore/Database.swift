import CSQLite

/// An SQLite error, with SQLite's own message.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One SQLite connection: statements, transactions. Not shared between
/// threads (each thread opens its own; WAL lets a reader and the writer work at once).
public final class Database {
    let handle: OpaquePointer
    public let path: String

    /// Opens (creating it when `create`) the database at `path`, in WAL mode.
    public init(path: String, create: Bool = true, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw StoreError("\(path): \(message)")
        }
        handle = db
        self.path = path
        // A writer holding the lock briefly must not fail a reader at once.
        sqlite3_busy_timeout(db, 2000)
        if !readOnly {
            // WAL: readers never wait for the writer; NORMAL: a commit does not
            // wait for the disk (a power cut may lose the last commits, a crash of relay loses none).
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs SQL that returns no rows (several statements allowed).
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            throw StoreError("\(path): \(message)")
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw StoreError("\(path): \(lastError) in \(sql)")
        }
        return Statement(statement, database: self)
    }

    /// `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// PRAGMA user_version: the schema's version.
    public var userVersion: Int {
        get throws {
            let statement = try prepare("PRAGMA user_version")
            guard try statement.step() else { return 0 }
            return Int(statement.int(0))
        }
    }
}

/// A prepared statement: bind, step, read columns, reset. Indices of binds start at 1, of columns at 0.
public final class Statement {
    private let statement: OpaquePointer
    private unowned let database: Database

    init(_ statement: OpaquePointer, database: Database) {
        self.statement = statement
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    @discardableResult
    public func bind(_ values: [Value]) -> Statement {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .int(let number): sqlite3_bind_int64(statement, index, number)
            case .text(let text): sqlite3_bind_text(statement, index, text, -1, relay_sqlite_transient())
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        return self
    }

    public enum Value: Equatable {
        case int(Int64)
        case text(String)
        case null

        public static func optional(_ text: String?) -> Value { text.map(Value.text) ?? .null }
    }

    /// The next row: true when there is one.
    public func step() throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StoreError("\(database.path): \(database.lastError)")
        }
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: [Value]) throws {
        bind(values)
        while try step() {}
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    public func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL, let raw = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: raw)
    }
}
