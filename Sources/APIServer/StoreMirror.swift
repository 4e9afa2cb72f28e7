import Foundation
import Store

/// State rebuilt from stored objects, one key at a time.
public protocol MirrorState: Sendable {
    /// Sets (value) or removes (nil) the object at `key`.
    mutating func apply(key: String, value: [UInt8]?)
    /// Forgets every object under `prefix` (before it is listed again).
    mutating func reset(prefix: String)
}

/// The type-erased controls of a `StoreMirror`.
protocol MirrorControl: Sendable {
    func start() throws
    func stop()
    func covers(_ key: String) -> Bool
    func waitUntilCurrent(key: String, timeout: Duration) async
}

/// In-memory state kept current from the store, like an informer: each prefix is listed once,
/// then watched from the list's revision; when a watch fails (history compacted: 410) the prefix
/// is listed again. Readers take the state as a value under a lock and never touch the store,
/// so a request costs no store read, and an unknown credential cannot make the server scan.
public final class StoreMirror<State: MirrorState>: MirrorControl, @unchecked Sendable {
    private let store: any ObjectStore
    public let prefixes: [String]
    private let lock = NSLock()
    private var current: State
    /// The modRevision of each key in `current`, for `waitUntilCurrent`.
    private var revisions: [String: Revision] = [:]
    private var tasks: [Task<Void, Never>] = []

    public init(store: any ObjectStore, prefixes: [String], initial: State) {
        self.store = store
        self.prefixes = prefixes
        current = initial
    }

    /// The state now.
    public var state: State { lock.withLock { current } }

    /// Lists every prefix (so the state is complete when this returns), then follows each with a watch.
    public func start() throws {
        for prefix in prefixes {
            let revision = try relist(prefix)
            tasks.append(Task { [self] in await follow(prefix, from: revision) })
        }
    }

    public func stop() {
        lock.withLock { tasks }.forEach { $0.cancel() }
    }

    /// Whether `key` is under one of this mirror's prefixes.
    public func covers(_ key: String) -> Bool { prefixes.contains { key.hasPrefix($0) } }

    /// Waits (at most `timeout`) until the state has the stored version of `key`, or its absence,
    /// so that a response to an RBAC or token write is sent only once the write is in force.
    public func waitUntilCurrent(key: String, timeout: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let stored = (try? store.get(key: key))?.map(\.modRevision)
            let seen = lock.withLock { revisions[key] }
            if stored == seen || (stored != nil && seen != nil && seen! >= stored!) { return }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    private func relist(_ prefix: String) throws -> Revision {
        let page = try store.list(prefix: prefix, limit: nil, continueAfter: nil)
        lock.withLock {
            current.reset(prefix: prefix)
            revisions = revisions.filter { !$0.key.hasPrefix(prefix) }
            for item in page.items {
                current.apply(key: item.key, value: item.value)
                revisions[item.key] = item.modRevision
            }
        }
        return page.revision
    }

    private func follow(_ prefix: String, from start: Revision) async {
        var revision = start
        while !Task.isCancelled {
            do {
                for try await event in try store.watch(prefix: prefix, fromRevision: revision) {
                    lock.withLock {
                        let deleted = event.kind == .deleted
                        current.apply(key: event.key, value: deleted ? nil : event.value)
                        revisions[event.key] = deleted ? nil : event.modRevision
                    }
                    revision = event.modRevision
                }
                return  // the stream ends only when this task is cancelled
            } catch StoreError.closed {
                return
            } catch {
                // Compacted history (or a transient failure): list again and watch from there.
                try? await Task.sleep(for: .milliseconds(100))
                if let listed = try? relist(prefix) { revision = listed }
            }
        }
    }
}
