/// Every error the store reports. The API server maps them to HTTP statuses:
/// `alreadyExists` 409, `notFound` 404, `conflict` 409, `expired` 410 Gone, `invalidKey` 400.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `create` on a key that holds an object.
    case alreadyExists(key: String)
    /// `update` or `delete` on a key that holds no object.
    case notFound(key: String)
    /// `update` or `delete` with an `expectedRevision` that is not the object's `modRevision`.
    case conflict(key: String, expected: Revision, current: Revision)
    /// A watch asked for history at or before `compacted`, which compaction has dropped.
    case expired(requested: Revision, compacted: Revision)
    /// A key that is not `/`-rooted printable ASCII.
    case invalidKey(String)
    /// The store was closed.
    case closed
    /// SQLite failed: its (extended) result code and message, and what we were doing.
    case sqlite(code: Int32, message: String, operation: String)
    /// The database holds something this code cannot have written (a revision gap, …).
    case corrupt(String)
    /// The backing service (etcd) could not be reached or refused the operation.
    case unavailable(String)

    public var description: String {
        switch self {
        case .alreadyExists(let key): "\(key): already exists"
        case .notFound(let key): "\(key): not found"
        case .conflict(let key, let expected, let current):
            "\(key): conflict: expected revision \(expected), object is at revision \(current)"
        case .expired(let requested, let compacted):
            "watch from revision \(requested): too old, history compacted through revision \(compacted)"
        case .invalidKey(let key): "invalid key \"\(key)\": must start with / and be printable ASCII"
        case .closed: "store is closed"
        case .sqlite(let code, let message, let operation):
            "sqlite \(operation): \(message) (\(sqliteCodeDescription(code)), code \(code))"
        case .corrupt(let what): "store is corrupt: \(what)"
        case .unavailable(let what): "store unavailable: \(what)"
        }
    }
}
