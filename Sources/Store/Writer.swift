import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A write as queued for the writer thread.
enum WriteRequest: Sendable {
    case create(key: String, value: [UInt8])
    case update(key: String, value: [UInt8], expected: Revision?)
    case delete(key: String, expected: Revision?)
    case compact(before: Revision)
}

/// What a write produced.
enum WriteOutcome: Sendable {
    case written(Revision)
    case deleted(Revision, previousValue: [UInt8])
    case compacted(Revision)
}

/// The single writer: one dedicated thread owns the write connection and commits queued
/// writes in groups. While one transaction is being made durable (fsync), new writes queue;
/// the next transaction takes all of them (up to `maxBatch`), so one fsync covers many
/// writes and throughput grows with the number of concurrent writers. Each write still gets
/// its own revision and its own result; a write that fails its precondition changes nothing
/// and does not fail its neighbours. An SQLite failure rolls the whole group back and fails
/// every write in it.
final class Writer: @unchecked Sendable {
    // @unchecked: `db`, `statements` and `revision` are touched only by the writer thread
    // (and by `init` before it starts); the queue is behind a Mutex.
    private struct Queue {
        var pending: [(WriteRequest, CheckedContinuation<WriteOutcome, Error>)] = []
        var closed = false
        var transactions = 0
        var writes = 0
    }

    private let db: SQLiteDatabase
    private let statements: WriterStatements
    private var revision: Revision
    private var compacted: Revision
    private let hub: EventHub
    private let maxBatch: Int
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(db: SQLiteDatabase, hub: EventHub, revision: Revision, compacted: Revision, maxBatch: Int) throws(StoreError) {
        self.db = db
        self.statements = try WriterStatements(db)
        self.hub = hub
        self.revision = revision
        self.compacted = compacted
        self.maxBatch = maxBatch
    }

    /// Starts the writer thread.
    func start() {
        startThread { [self] in
            run()
            finished.signal()
        }
    }

    /// Queues `request` and waits for its transaction to commit.
    func submit(_ request: WriteRequest) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { c in
            let accepted = queue.withLock { q -> Bool in
                if q.closed { return false }
                q.pending.append((request, c))
                return true
            }
            if accepted { wake.signal() } else { c.resume(throwing: StoreError.closed) }
        }
    }

    /// Commits what is queued, then stops the thread. Later writes throw `.closed`.
    func close() {
        let first = queue.withLock { q -> Bool in defer { q.closed = true }; return !q.closed }
        guard first else { return }
        wake.signal()
        finished.wait()
    }

    /// (transactions committed, writes committed), for measuring group commit.
    var statistics: (transactions: Int, writes: Int) { queue.withLock { ($0.transactions, $0.writes) } }

    private func run() {
        while true {
            let (batch, closed) = queue.withLock { q in
                let n = min(q.pending.count, maxBatch)
                defer { q.pending.removeFirst(n) }
                return (Array(q.pending.prefix(n)), q.closed)
            }
            if batch.isEmpty {
                if closed { return }
                wake.wait()
                continue
            }
            commit(batch)
        }
    }

    private func commit(_ batch: [(WriteRequest, CheckedContinuation<WriteOutcome, Error>)]) {
        let startRevision = revision, startCompacted = compacted
        var results: [Result<WriteOutcome, StoreError>] = []
        var events: [WatchEvent] = []
        do {
            try db.execute("BEGIN IMMEDIATE")
            for (request, _) in batch {
                do throws(StoreError) {
                    results.append(.success(try apply(request, &events)))
                } catch let error where error.isPrecondition {
                    results.append(.failure(error))
                }
            }
            if revision != startRevision { try statements.setMeta.bind(.text("revision"), .integer(revision)); try statements.setMeta.run() }
            try db.execute("COMMIT")
        } catch {
            if db.inTransaction { try? db.execute("ROLLBACK") }
            revision = startRevision
            compacted = startCompacted
            for (_, c) in batch { c.resume(throwing: error) }
            return
        }
        // Publish before acknowledging: a client that saw revision R can watch from R - 1.
        hub.publish(events)
        queue.withLock { $0.transactions += 1; $0.writes += events.count }
        for ((_, c), result) in zip(batch, results) { c.resume(with: result.mapError { $0 as Error }) }
    }

    private func apply(_ request: WriteRequest, _ events: inout [WatchEvent]) throws(StoreError) -> WriteOutcome {
        let s = statements
        switch request {
        case .create(let key, let value):
            if try s.current(key) != nil { throw .alreadyExists(key: key) }
            revision += 1
            try s.insertObject.bind(.text(key), .blob(value), .integer(revision)); try s.insertObject.run()
            try s.log(revision, key, .added, value: value, previous: nil)
            events.append(WatchEvent(kind: .added, key: key, value: value, previousValue: nil, modRevision: revision))
            return .written(revision)
        case .update(let key, let value, let expected):
            let old = try s.checked(key, expected)
            revision += 1
            try s.updateObject.bind(.text(key), .blob(value), .integer(revision)); try s.updateObject.run()
            try s.log(revision, key, .modified, value: value, previous: old.value)
            events.append(WatchEvent(kind: .modified, key: key, value: value, previousValue: old.value, modRevision: revision))
            return .written(revision)
        case .delete(let key, let expected):
            let old = try s.checked(key, expected)
            revision += 1
            try s.deleteObject.bind(.text(key)); try s.deleteObject.run()
            try s.log(revision, key, .deleted, value: nil, previous: old.value)
            events.append(WatchEvent(kind: .deleted, key: key, value: old.value, previousValue: old.value, modRevision: revision))
            return .deleted(revision, previousValue: old.value)
        case .compact(let before):
            let target = min(before - 1, revision)
            if target > compacted {
                hub.compact(through: target)  // first: see EventHub.compact
                try s.deleteEvents.bind(.integer(target)); try s.deleteEvents.run()
                try s.setMeta.bind(.text("compacted"), .integer(target)); try s.setMeta.run()
                compacted = target
            }
            return .compacted(compacted)
        }
    }
}

extension StoreError {
    /// A failed precondition: the write changed nothing and its batch goes on.
    var isPrecondition: Bool {
        switch self {
        case .alreadyExists, .notFound, .conflict, .invalidKey: true
        default: false
        }
    }
}

/// The writer connection's prepared statements.
private struct WriterStatements {
    let selectObject, insertObject, updateObject, deleteObject, insertEvent, deleteEvents, setMeta: SQLiteStatement

    init(_ db: SQLiteDatabase) throws(StoreError) {
        selectObject = try db.prepare(Schema.selectObject)
        insertObject = try db.prepare(Schema.insertObject)
        updateObject = try db.prepare(Schema.updateObject)
        deleteObject = try db.prepare(Schema.deleteObject)
        insertEvent = try db.prepare(Schema.insertEvent)
        deleteEvents = try db.prepare(Schema.deleteEvents)
        setMeta = try db.prepare(Schema.setMeta)
    }

    func current(_ key: String) throws(StoreError) -> (value: [UInt8], modRevision: Revision)? {
        try selectObject.bind(.text(key))
        defer { selectObject.reset() }
        guard try selectObject.step() else { return nil }
        return (selectObject.blob(0) ?? [], selectObject.integer(2))
    }

    /// The current object, if it exists and is at `expected` (when given).
    func checked(_ key: String, _ expected: Revision?) throws(StoreError) -> (value: [UInt8], modRevision: Revision) {
        guard let old = try current(key) else { throw .notFound(key: key) }
        if let expected, expected != old.modRevision {
            throw .conflict(key: key, expected: expected, current: old.modRevision)
        }
        return old
    }

    func log(_ rev: Revision, _ key: String, _ kind: WatchEvent.Kind, value: [UInt8]?, previous: [UInt8]?) throws(StoreError) {
        try insertEvent.bind(.integer(rev), .text(key), .text(kind.rawValue),
                             value.map { .blob($0) } ?? .null, previous.map { .blob($0) } ?? .null)
        try insertEvent.run()
    }
}

/// Runs `body` on a new detached OS thread (not a cooperative-pool thread: the writer blocks
/// in fsync and on its semaphore).
private func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create: \(rc)")
    pthread_detach(thread)
}
