internal import CSQLite

// The only file in the module that calls sqlite3_*. Every result code goes through
// `SQLiteDatabase.check`, which turns it into `StoreError.sqlite` with the operation named.

/// A value bound to a statement parameter.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// One SQLite connection. Not thread-safe: its owner uses it from one thread at a time
/// (opened with `SQLITE_OPEN_NOMUTEX`, SQLite's multi-thread mode).
final class SQLiteDatabase {
    private let handle: OpaquePointer
    let path: String

    /// Opens (creating if needed) the database at `path`. Wraps `sqlite3_open_v2`.
    init(path: String) throws(StoreError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StoreError.sqlite(code: rc, message: message, operation: "open \(path)")
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        // Readers never wait for the writer in WAL mode; this covers checkpoints and opening.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The error funnel: passes OK/ROW/DONE through, throws everything else with its facts.
    @discardableResult
    func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(StoreError) -> Int32 {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE:
            return rc
        default:
            throw StoreError.sqlite(code: rc, message: String(cString: sqlite3_errmsg(handle)), operation: operation())
        }
    }

    /// Runs one or more statements that return no rows. Wraps `sqlite3_exec`.
    func execute(_ sql: String) throws(StoreError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// Compiles `sql`. Wraps `sqlite3_prepare_v3` (with `SQLITE_PREPARE_PERSISTENT`).
    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil), "prepare \(sql)")
        guard let stmt else { throw StoreError.sqlite(code: SQLITE_MISUSE, message: "empty statement", operation: sql) }
        return SQLiteStatement(handle: stmt, database: self, sql: sql)
    }

    /// Whether a transaction is open. Wraps `sqlite3_get_autocommit`.
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}

/// A prepared statement, reused: `bind` resets it first.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: SQLiteDatabase
    let sql: String

    fileprivate init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to parameters 1, 2, …
    /// Wraps `sqlite3_reset` and `sqlite3_bind_*`.
    func bind(_ values: SQLiteValue...) throws(StoreError) {
        sqlite3_reset(handle)
        try database.check(sqlite3_clear_bindings(handle), "clear bindings \(sql)")
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .integer(let v):
                rc = sqlite3_bind_int64(handle, index, v)
            case .text(let s):
                rc = sqlite3_bind_text(handle, index, s, -1, trellis_sqlite_transient())
            case .blob(let bytes) where bytes.isEmpty:
                // A nil pointer would bind NULL; an empty object is still a value.
                rc = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), trellis_sqlite_transient())
                }
            case .null:
                rc = sqlite3_bind_null(handle, index)
            }
            try database.check(rc, "bind \(index) \(sql)")
        }
    }

    /// Advances to the next row; false when done. Wraps `sqlite3_step`.
    func step() throws(StoreError) -> Bool {
        try database.check(sqlite3_step(handle), sql) == SQLITE_ROW
    }

    /// Steps a statement that returns no rows, then resets it.
    func run() throws(StoreError) {
        defer { sqlite3_reset(handle) }
        _ = try step()
    }

    /// Releases the statement's read snapshot. Wraps `sqlite3_reset`.
    func reset() { sqlite3_reset(handle) }

    /// Wraps `sqlite3_column_int64`.
    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// Wraps `sqlite3_column_text`.
    func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: p)
    }

    /// The column's bytes, or nil when it is NULL. Wraps `sqlite3_column_blob`.
    func blob(_ column: Int32) -> [UInt8]? {
        if sqlite3_column_type(handle, column) == SQLITE_NULL { return nil }
        let p = sqlite3_column_blob(handle, column)  // before _bytes, as the SQLite docs require
        let n = Int(sqlite3_column_bytes(handle, column))
        guard let p, n > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// SQLite's result code name (`SQLITE_BUSY`, …) for error messages. Wraps `sqlite3_errstr`.
func sqliteCodeDescription(_ code: Int32) -> String {
    String(cString: sqlite3_errstr(code))
}
