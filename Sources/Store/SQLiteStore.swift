/// `ObjectStore` over one SQLite database in WAL mode.
///
/// Durability: the writer connection runs `synchronous=FULL`, so a write is acknowledged only
/// after its WAL frames are fsynced; `NORMAL` can lose the last transactions on power loss
/// (though not on a process crash). Group commit (see `Writer`) pays for FULL: one fsync per
/// group of concurrent writes. Reads use a pool of separate connections and never wait for
/// the writer.
public final class SQLiteStore: ObjectStore {
    public struct Options: Sendable {
        /// `false` trades "no acknowledged write lost on power loss" for latency
        /// (`synchronous=NORMAL`). Process crashes lose nothing either way.
        public var fullSync = true
        /// Recent events kept in memory for watchers; older ones are read from the log.
        public var ringCapacity = 8192
        /// Most writes committed in one transaction.
        public var maxBatch = 1024
        public init() {}
    }

    public let path: String
    private let readers: ReaderPool
    private let hub: EventHub
    private let writer: Writer

    /// Opens or creates the store at `path` (a file; `-wal` and `-shm` files sit beside it).
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = \(options.fullSync ? "FULL" : "NORMAL")")
        try db.execute("BEGIN IMMEDIATE; \(Schema.create) COMMIT")
        readers = ReaderPool(path: path)
        let (revision, compacted) = try readers.withConnection { c throws(StoreError) in
            (try c.meta("revision"), try c.meta("compacted"))
        }
        hub = EventHub(capacity: options.ringCapacity, revision: revision, compacted: compacted)
        writer = try Writer(db: db, hub: hub, revision: revision, compacted: compacted, maxBatch: options.maxBatch)
        writer.start()
    }

    deinit { close() }

    /// Commits queued writes, ends every watch with `.closed`, and closes the database.
    /// Idempotent.
    public func close() {
        writer.close()
        hub.close()
        readers.close()
    }

    @discardableResult
    public func create(key: String, value: [UInt8]) async throws -> Revision {
        try Self.validate(key)
        guard case .written(let r) = try await writer.submit(.create(key: key, value: value)) else { fatalError() }
        return r
    }

    @discardableResult
    public func update(key: String, value: [UInt8], expectedRevision: Revision? = nil) async throws -> Revision {
        try Self.validate(key)
        guard case .written(let r) = try await writer.submit(.update(key: key, value: value, expected: expectedRevision)) else { fatalError() }
        return r
    }

    @discardableResult
    public func delete(key: String, expectedRevision: Revision? = nil) async throws -> (revision: Revision, previousValue: [UInt8]) {
        try Self.validate(key)
        guard case .deleted(let r, let old) = try await writer.submit(.delete(key: key, expected: expectedRevision)) else { fatalError() }
        return (r, old)
    }

    @discardableResult
    public func compact(before: Revision) async throws -> Revision {
        guard case .compacted(let r) = try await writer.submit(.compact(before: before)) else { fatalError() }
        return r
    }

    public func get(key: String) throws -> StoredObject? {
        try readers.withConnection { c throws(StoreError) in try c.get(key: key) }
    }

    public func list(prefix: String, limit: Int? = nil, continueAfter: String? = nil) throws -> ListResult {
        if let limit, limit <= 0 { return try list(prefix: prefix, limit: nil, continueAfter: continueAfter) }
        return try readers.withConnection { c throws(StoreError) in
            try c.list(prefix: prefix, limit: limit, continueAfter: continueAfter)
        }
    }

    public func watch(prefix: String, fromRevision: Revision) throws -> AsyncThrowingStream<WatchEvent, Error> {
        let compacted = hub.compactedRevision
        if fromRevision < compacted { throw StoreError.expired(requested: fromRevision, compacted: compacted) }
        let cursor = WatchCursor(prefix: prefix, revision: fromRevision, hub: hub, readers: readers)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    public var currentRevision: Revision { hub.lastRevision }
    public var compactedRevision: Revision { hub.compactedRevision }

    /// Transactions and writes committed since open: writes / transactions is the mean group size.
    public var commitStatistics: (transactions: Int, writes: Int) { writer.statistics }

    private static func validate(_ key: String) throws(StoreError) {
        guard RegistryKey.isValid(key) else { throw .invalidKey(key) }
    }
}
