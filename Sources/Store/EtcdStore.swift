import Foundation
import Synchronization

/// The `ObjectStore` on a real etcd cluster (the v3 API through etcd's JSON gateway), for
/// control planes with several members. Revisions are etcd's, so a resourceVersion is etcd's
/// mod_revision as in Kubernetes.
///
/// Like kube-apiserver's watch cache, the store keeps every object under its prefix in memory,
/// fed by one etcd watch: reads are served from memory, and a write returns once the cache has
/// caught up with the write's revision (read-your-writes). Watches are served from a ring of
/// recent events; a watch from before the cache's start (after a restart) is served by its own
/// etcd watch from that revision, so no event is lost or reordered across restarts; etcd's
/// compaction surfaces as `.expired`.
public final class EtcdStore: ObjectStore, @unchecked Sendable {
    // @unchecked: all mutable state is in `state` (a Mutex); `transport` is Sendable.
    public struct Options: Sendable {
        /// Prepended to every key in etcd (kube-apiserver's `--etcd-prefix`).
        public var keyPrefix = "/trellis"
        /// Recent events kept for watches.
        public var ringCapacity = 16_384
        public init() {}
    }

    private struct State {
        var objects: [String: StoredObject] = [:]
        var sortedKeys: [String]?
        /// The cache reflects etcd through this revision.
        var revision: Revision = 0
        var compacted: Revision = 0
        /// Every event after `ringStart` (that is still within capacity) is in `ring`.
        var ring: [WatchEvent] = []
        var ringStart: Revision = 0
        var closed = false
        var failure: String?
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    private let transport: EtcdTransport
    private let options: Options
    private let feed = Mutex<Task<Void, Never>?>(nil)

    /// Connects, loads every object under the prefix, and starts following etcd.
    public init(endpoints: [String], options: Options = Options()) async throws {
        do { transport = try EtcdTransport(endpoints: endpoints) } catch { throw StoreError.unavailable(error.description) }
        self.options = options
        do {
            try await load()
        } catch {
            transport.shutdown()
            throw error
        }
        let task = Task { [weak self] in _ = await self?.follow() }
        feed.withLock { $0 = task }
    }

    public func close() {
        feed.withLock { $0?.cancel() }
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken { w.resume() }
        transport.shutdown()
    }

    // MARK: keys

    private func etcdKey(_ key: String) -> String { Data((options.keyPrefix + key).utf8).base64EncodedString() }
    private var rangeStart: String { Data((options.keyPrefix + "/").utf8).base64EncodedString() }
    private var rangeEnd: String { Data((options.keyPrefix + "0").utf8).base64EncodedString() }  // "/" + 1

    private func storeKey(_ base64: Any?) -> String? {
        guard let text = base64 as? String, let data = Data(base64Encoded: text), let key = String(data: data, encoding: .utf8),
              key.hasPrefix(options.keyPrefix) else { return nil }
        return String(key.dropFirst(options.keyPrefix.count))
    }

    private static func int(_ value: Any?) -> Revision {
        if let s = value as? String { return Revision(s) ?? 0 }
        if let n = value as? NSNumber { return n.int64Value }
        return 0
    }

    private static func bytes(_ value: Any?) -> [UInt8] {
        guard let text = value as? String, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }

    private func object(_ kv: [String: Any]) -> StoredObject? {
        guard let key = storeKey(kv["key"]) else { return nil }
        return StoredObject(key: key, value: Self.bytes(kv["value"]), modRevision: Self.int(kv["mod_revision"]),
                            createRevision: Self.int(kv["create_revision"]))
    }

    // MARK: loading and following

    private func load() async throws {
        let response: [String: Any]
        do {
            response = try await transport.call("/v3/kv/range", ["key": rangeStart, "range_end": rangeEnd])
        } catch {
            throw StoreError.unavailable("loading from etcd: \(error)")
        }
        let revision = Self.int((response["header"] as? [String: Any])?["revision"])
        var objects: [String: StoredObject] = [:]
        for case let kv as [String: Any] in response["kvs"] as? [Any] ?? [] {
            if let o = object(kv) { objects[o.key] = o }
        }
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.objects = objects
            s.sortedKeys = nil
            s.revision = max(s.revision, revision)
            s.ring = []
            s.ringStart = revision
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken { w.resume() }
    }

    /// Applies etcd's watch events to the cache until closed, reconnecting (to another member
    /// when one fails) from the last revision seen; reloads when etcd compacted past it.
    private func follow() async {
        while !Task.isCancelled {
            let from = state.withLock { $0.revision } + 1
            let request: [String: Any] = ["create_request": ["key": rangeStart, "range_end": rangeEnd,
                                                             "start_revision": String(from), "prev_kv": true,
                                                             "progress_notify": true]]
            do {
                for try await line in transport.stream("/v3/watch", request) {
                    guard let message = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                          let result = message["result"] as? [String: Any] else { continue }
                    if Self.int(result["compact_revision"]) > 0 {
                        // Our position was compacted away (we were disconnected too long): reload.
                        try await load()
                        break
                    }
                    if result["canceled"] as? Bool == true { break }
                    apply(result)
                }
            } catch {
                if Task.isCancelled { return }
                state.withLock { $0.failure = "\(error)" }
            }
            transport.rotate()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func apply(_ result: [String: Any]) {
        var events: [WatchEvent] = []
        for case let event as [String: Any] in result["events"] as? [Any] ?? [] {
            guard let kv = event["kv"] as? [String: Any], let key = storeKey(kv["key"]) else { continue }
            let previous = (event["prev_kv"] as? [String: Any]).map { Self.bytes($0["value"]) }
            let revision = Self.int(kv["mod_revision"])
            if (event["type"] as? String) == "DELETE" {
                events.append(WatchEvent(kind: .deleted, key: key, value: previous ?? [], previousValue: previous, modRevision: revision))
            } else {
                let created = Self.int(kv["create_revision"]) == revision
                events.append(WatchEvent(kind: created ? .added : .modified, key: key, value: Self.bytes(kv["value"]),
                                         previousValue: created ? nil : previous, modRevision: revision))
            }
        }
        let headerRevision = Self.int((result["header"] as? [String: Any])?["revision"])
        let isCreatedReply = result["created"] as? Bool == true
        let capacity = options.ringCapacity
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            for e in events where e.modRevision > s.revision || s.objects[e.key]?.modRevision ?? 0 < e.modRevision {
                switch e.kind {
                case .deleted:
                    if s.objects.removeValue(forKey: e.key) != nil { s.sortedKeys = nil }
                case .added, .modified:
                    let create = e.kind == .added ? e.modRevision : (s.objects[e.key]?.createRevision ?? e.modRevision)
                    if s.objects.updateValue(StoredObject(key: e.key, value: e.value, modRevision: e.modRevision, createRevision: create),
                                             forKey: e.key) == nil { s.sortedKeys = nil }
                }
                s.ring.append(e)
                s.revision = max(s.revision, e.modRevision)
            }
            if s.ring.count > capacity {
                let drop = s.ring.count - capacity
                s.ringStart = s.ring[drop - 1].modRevision
                s.ring.removeFirst(drop)
            }
            // A progress notification (no events; not the "created" reply, whose header is the
            // revision at creation, before the replayed events arrive) moves the cache's revision.
            if events.isEmpty, !isCreatedReply, headerRevision > s.revision { s.revision = headerRevision }
            s.failure = nil
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken { w.resume() }
    }

    /// Returns once the cache has applied `revision` (or the store closed).
    private func waitUntilCached(_ revision: Revision) async throws {
        while true {
            let id: UInt64? = state.withLock { s in
                if s.closed || s.revision >= revision { return nil }
                s.nextWaiter += 1
                return s.nextWaiter
            }
            guard let id else { break }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.closed || s.revision >= revision { return true }
                    s.waiters[id] = c
                    return false
                }
                if ready { c.resume() }
            }
        }
        if state.withLock({ $0.closed }) { throw StoreError.closed }
    }

    // MARK: writes

    private func txn(_ body: [String: Any]) async throws -> [String: Any] {
        do {
            return try await transport.call("/v3/kv/txn", body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("etcd transaction failed: \(error)")
        }
    }

    private func currentOnFailure(_ response: [String: Any], key: String) -> StoredObject? {
        for case let r as [String: Any] in response["responses"] as? [Any] ?? [] {
            if let range = r["response_range"] as? [String: Any], let kv = (range["kvs"] as? [Any])?.first as? [String: Any] {
                return object(kv)
            }
        }
        return nil
    }

    public func create(key: String, value: [UInt8]) async throws -> Revision {
        guard RegistryKey.isValid(key) else { throw StoreError.invalidKey(key) }
        let k = etcdKey(key)
        let response = try await txn([
            "compare": [["key": k, "target": "CREATE", "create_revision": "0", "result": "EQUAL"]],
            "success": [["request_put": ["key": k, "value": Data(value).base64EncodedString()]]],
        ])
        guard response["succeeded"] as? Bool == true else { throw StoreError.alreadyExists(key: key) }
        let revision = Self.int((response["header"] as? [String: Any])?["revision"])
        try await waitUntilCached(revision)
        return revision
    }

    @discardableResult
    public func update(key: String, value: [UInt8], expectedRevision: Revision? = nil) async throws -> Revision {
        guard RegistryKey.isValid(key) else { throw StoreError.invalidKey(key) }
        let k = etcdKey(key)
        let compare: [String: Any] = expectedRevision.map { ["key": k, "target": "MOD", "mod_revision": String($0), "result": "EQUAL"] }
            ?? ["key": k, "target": "CREATE", "create_revision": "0", "result": "GREATER"]
        let response = try await txn([
            "compare": [compare],
            "success": [["request_put": ["key": k, "value": Data(value).base64EncodedString()]]],
            "failure": [["request_range": ["key": k]]],
        ])
        guard response["succeeded"] as? Bool == true else {
            guard let current = currentOnFailure(response, key: key) else { throw StoreError.notFound(key: key) }
            throw StoreError.conflict(key: key, expected: expectedRevision ?? 0, current: current.modRevision)
        }
        let revision = Self.int((response["header"] as? [String: Any])?["revision"])
        try await waitUntilCached(revision)
        return revision
    }

    @discardableResult
    public func delete(key: String, expectedRevision: Revision? = nil) async throws -> (revision: Revision, previousValue: [UInt8]) {
        guard RegistryKey.isValid(key) else { throw StoreError.invalidKey(key) }
        let k = etcdKey(key)
        let compare: [String: Any] = expectedRevision.map { ["key": k, "target": "MOD", "mod_revision": String($0), "result": "EQUAL"] }
            ?? ["key": k, "target": "CREATE", "create_revision": "0", "result": "GREATER"]
        let response = try await txn([
            "compare": [compare],
            "success": [["request_delete_range": ["key": k, "prev_kv": true]]],
            "failure": [["request_range": ["key": k]]],
        ])
        guard response["succeeded"] as? Bool == true else {
            guard let current = currentOnFailure(response, key: key) else { throw StoreError.notFound(key: key) }
            throw StoreError.conflict(key: key, expected: expectedRevision ?? 0, current: current.modRevision)
        }
        var previous: [UInt8] = []
        for case let r as [String: Any] in response["responses"] as? [Any] ?? [] {
            if let deleted = r["response_delete_range"] as? [String: Any],
               let kv = (deleted["prev_kvs"] as? [Any])?.first as? [String: Any] {
                previous = Self.bytes(kv["value"])
            }
        }
        let revision = Self.int((response["header"] as? [String: Any])?["revision"])
        try await waitUntilCached(revision)
        return (revision, previous)
    }

    @discardableResult
    public func compact(before: Revision) async throws -> Revision {
        let target = min(before, state.withLock { $0.revision })
        guard target > state.withLock({ $0.compacted }) + 1 else { return state.withLock { $0.compacted } }
        do {
            _ = try await transport.call("/v3/kv/compaction", ["revision": String(target), "physical": true])
        } catch let error as EtcdResponseError where error.message.contains("compacted") {
            // Already compacted at or past it by another member or client.
        }
        return state.withLock { s in
            s.compacted = max(s.compacted, target - 1)
            return s.compacted
        }
    }

    // MARK: reads

    public func get(key: String) throws -> StoredObject? {
        try state.withLock { s throws(StoreError) in
            if s.closed { throw .closed }
            return s.objects[key]
        }
    }

    public func list(prefix: String, limit: Int? = nil, continueAfter: String? = nil) throws -> ListResult {
        try state.withLock { s throws(StoreError) in
            if s.closed { throw .closed }
            if s.sortedKeys == nil { s.sortedKeys = s.objects.keys.sorted() }
            let keys = s.sortedKeys!
            // First key > continueAfter (or ≥ prefix).
            let lower = continueAfter ?? prefix
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if continueAfter != nil ? keys[mid] <= lower : keys[mid] < lower { lo = mid + 1 } else { hi = mid }
            }
            var items: [StoredObject] = []
            var index = lo
            let max = (limit ?? 0) > 0 ? limit! : Int.max
            while index < keys.count, keys[index].hasPrefix(prefix), items.count < max {
                items.append(s.objects[keys[index]]!)
                index += 1
            }
            let more = index < keys.count && keys[index].hasPrefix(prefix)
            return ListResult(items: items, revision: s.revision, continueAfter: more ? items.last?.key : nil)
        }
    }

    public func watch(prefix: String, fromRevision: Revision) throws -> AsyncThrowingStream<WatchEvent, Error> {
        let (compacted, ringStart, closed) = state.withLock { ($0.compacted, $0.ringStart, $0.closed) }
        if closed { throw StoreError.closed }
        if fromRevision < compacted { throw StoreError.expired(requested: fromRevision, compacted: compacted) }
        if fromRevision < ringStart { return history(prefix: prefix, from: fromRevision) }
        let cursor = EtcdWatchCursor(store: self, prefix: prefix, revision: fromRevision)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    public var currentRevision: Revision { state.withLock { $0.revision } }
    public var compactedRevision: Revision { state.withLock { $0.compacted } }

    /// Up to 512 matching events after `cursor` from the ring, and the revision the scan
    /// covered (so a cursor can move past events of other prefixes); `.expired` when the ring
    /// no longer reaches back.
    fileprivate func read(prefix: String, after cursor: Revision) throws -> (events: [WatchEvent], through: Revision) {
        try state.withLock { s throws(StoreError) -> ([WatchEvent], Revision) in
            if s.closed { throw .closed }
            if cursor < s.ringStart { throw .expired(requested: cursor, compacted: s.ringStart) }
            var lo = 0, hi = s.ring.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if s.ring[mid].modRevision <= cursor { lo = mid + 1 } else { hi = mid }
            }
            var out: [WatchEvent] = []
            var through = cursor
            var i = lo
            while i < s.ring.count, out.count < 512 {
                let e = s.ring[i]
                if e.key.hasPrefix(prefix) { out.append(e) }
                through = e.modRevision
                i += 1
            }
            return (out, through)
        }
    }

    fileprivate func waitForEvents(after cursor: Revision) async {
        let id = state.withLock { s -> UInt64 in s.nextWaiter += 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.closed || (s.ring.last?.modRevision ?? 0) > cursor { return true }
                    s.waiters[id] = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume()
        }
    }

    /// A watch from before the cache's start: etcd's own history, then live.
    private func history(prefix: String, from revision: Revision) -> AsyncThrowingStream<WatchEvent, Error> {
        let request: [String: Any] = ["create_request": ["key": etcdKey(prefix),
                                                         "range_end": Data((options.keyPrefix + RegistryKey.upperBound(ofPrefix: prefix)).utf8).base64EncodedString(),
                                                         "start_revision": String(revision + 1), "prev_kv": true]]
        let upstream = transport.stream("/v3/watch", request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await line in upstream {
                        guard let message = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                              let result = message["result"] as? [String: Any] else { continue }
                        let compactRevision = Self.int(result["compact_revision"])
                        if compactRevision > 0 {
                            throw StoreError.expired(requested: revision, compacted: compactRevision - 1)
                        }
                        for case let event as [String: Any] in result["events"] as? [Any] ?? [] {
                            guard let kv = event["kv"] as? [String: Any], let key = storeKey(kv["key"]) else { continue }
                            let previous = (event["prev_kv"] as? [String: Any]).map { Self.bytes($0["value"]) }
                            let mod = Self.int(kv["mod_revision"])
                            if (event["type"] as? String) == "DELETE" {
                                continuation.yield(WatchEvent(kind: .deleted, key: key, value: previous ?? [], previousValue: previous, modRevision: mod))
                            } else {
                                let created = Self.int(kv["create_revision"]) == mod
                                continuation.yield(WatchEvent(kind: created ? .added : .modified, key: key, value: Self.bytes(kv["value"]),
                                                              previousValue: created ? nil : previous, modRevision: mod))
                            }
                        }
                    }
                    continuation.finish(throwing: StoreError.closed)
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// One watcher's position in the etcd store's ring.
private final class EtcdWatchCursor: @unchecked Sendable {
    // @unchecked: AsyncThrowingStream(unfolding:) calls `next` from one iterator at a time.
    private let store: EtcdStore
    private let prefix: String
    private var revision: Revision
    private var buffered: [WatchEvent] = []
    private var index = 0

    init(store: EtcdStore, prefix: String, revision: Revision) {
        self.store = store; self.prefix = prefix; self.revision = revision
    }

    func next() async throws -> WatchEvent? {
        while true {
            if index < buffered.count {
                let e = buffered[index]
                index += 1
                revision = e.modRevision
                return e
            }
            if Task.isCancelled { return nil }
            let (events, through) = try store.read(prefix: prefix, after: revision)
            if !events.isEmpty {
                buffered = events
                index = 0
                continue
            }
            revision = through
            await store.waitForEvents(after: revision)
            if Task.isCancelled { return nil }
        }
    }
}
