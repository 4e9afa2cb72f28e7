import Synchronization

/// A read-only connection with its prepared statements. WAL mode lets any number of these
/// read while the writer commits; each read transaction sees one committed snapshot.
final class ReadConnection: @unchecked Sendable {
    // @unchecked: the pool hands a connection to one caller at a time.
    private let db: SQLiteDatabase
    private let selectObject: SQLiteStatement
    private let listObjects: SQLiteStatement
    private let selectMeta: SQLiteStatement
    private let selectEvents: SQLiteStatement

    init(path: String) throws(StoreError) {
        db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA query_only = 1")
        selectObject = try db.prepare(Schema.selectObject)
        listObjects = try db.prepare(Schema.listObjects)
        selectMeta = try db.prepare(Schema.selectMeta)
        selectEvents = try db.prepare(Schema.selectEvents)
    }

    func get(key: String) throws(StoreError) -> StoredObject? {
        try selectObject.bind(.text(key))
        defer { selectObject.reset() }
        guard try selectObject.step() else { return nil }
        return StoredObject(key: key, value: selectObject.blob(0) ?? [],
                            modRevision: selectObject.integer(2), createRevision: selectObject.integer(1))
    }

    /// One page, and the revision, read in one transaction (one snapshot).
    func list(prefix: String, limit: Int?, continueAfter: String?) throws(StoreError) -> ListResult {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        let revision = try meta("revision")
        // Read one more than asked to learn whether another page follows.
        let fetch = limit.map { Int64($0) + 1 } ?? -1
        try listObjects.bind(.text(prefix), .text(RegistryKey.upperBound(ofPrefix: prefix)),
                             .text(continueAfter ?? ""), .integer(fetch))
        defer { listObjects.reset() }
        var items: [StoredObject] = []
        while try listObjects.step() {
            items.append(StoredObject(key: listObjects.text(0), value: listObjects.blob(1) ?? [],
                                      modRevision: listObjects.integer(3), createRevision: listObjects.integer(2)))
        }
        var next: String?
        if let limit, items.count > limit {
            items.removeLast(items.count - limit)
            next = items.last?.key
        }
        return ListResult(items: items, revision: revision, continueAfter: next)
    }

    func meta(_ name: String) throws(StoreError) -> Revision {
        try selectMeta.bind(.text(name))
        defer { selectMeta.reset() }
        guard try selectMeta.step() else { throw .corrupt("meta row \(name) missing") }
        return selectMeta.integer(0)
    }

    /// Up to `max` logged events after `cursor`, in revision order.
    func events(after cursor: Revision, max: Int) throws(StoreError) -> [WatchEvent] {
        try selectEvents.bind(.integer(cursor), .integer(Int64(max)))
        defer { selectEvents.reset() }
        var out: [WatchEvent] = []
        while try selectEvents.step() {
            let rev = selectEvents.integer(0)
            let type = selectEvents.text(2)
            guard let kind = WatchEvent.Kind(rawValue: type) else { throw .corrupt("event \(rev) has type \(type)") }
            let value = selectEvents.blob(3)
            let previous = selectEvents.blob(4)
            out.append(WatchEvent(kind: kind, key: selectEvents.text(1),
                                  value: (kind == .deleted ? previous : value) ?? [],
                                  previousValue: previous, modRevision: rev))
        }
        return out
    }
}

/// Read connections, opened on demand and reused.
final class ReaderPool: Sendable {
    private let path: String
    private let idle = Mutex<(connections: [ReadConnection], closed: Bool)>(([], false))

    init(path: String) { self.path = path }

    func withConnection<T>(_ body: (ReadConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        let taken = idle.withLock { s -> ReadConnection?? in
            s.closed ? .none : .some(s.connections.popLast())
        }
        guard let taken else { throw .closed }
        let connection: ReadConnection
        if let reused = taken { connection = reused } else { connection = try ReadConnection(path: path) }
        defer { idle.withLock { if !$0.closed { $0.connections.append(connection) } } }
        return try body(connection)
    }

    /// Drops idle connections; ones in use close when their reader returns them.
    func close() { idle.withLock { $0 = ([], true) } }
}
