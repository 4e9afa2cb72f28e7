import KubeAPI

/// One list+watch of a kind (and namespace and selectors) feeding a cache and any number of
/// event handlers. Get it from a `SharedInformerFactory` so that every controller interested
/// in the same objects shares the one watch.
///
/// Each handler has its own queue and task: its events arrive in the order the cache changed,
/// one at a time, and a slow handler delays only itself. A handler added after the first sync
/// first receives an `added` event for every cached object.
public final class SharedInformer<T: KubeObject>: Sendable {
    /// The informer's copy of the objects, with indexes.
    public let cache = InformerCache<T>()
    let reflector: Reflector<T>
    private let state = Locked(State())
    private let syncLatch = Latch()

    private struct State {
        var handlers: [Int: AsyncStream<InformerEvent<T>>.Continuation] = [:]
        var nextHandler = 0
        var task: Task<Void, Never>?
        var stopped = false
        var lastError: (any Error)?
    }

    /// An informer of `T` in `namespace` (nil: all namespaces, or a cluster-scoped kind).
    public init(client: KubeClient, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                backoff: Backoff = Backoff()) {
        reflector = Reflector(client: client, namespace: namespace, labelSelector: labelSelector,
                              fieldSelector: fieldSelector, cache: cache, backoff: backoff)
    }

    /// Starts listing and watching in the background. Idempotent; no effect after `stop()`.
    public func start() {
        state.withLock { s in
            guard s.task == nil, !s.stopped else { return }
            let reflector = reflector
            s.task = Task { [weak self] in
                let informer = self
                await reflector.run(emit: { change in informer?.dispatch(change) },
                                    synced: { informer?.syncLatch.open() },
                                    failed: { error in informer?.state.withLock { $0.lastError = error } })
            }
        }
    }

    /// Stops the watch and ends every handler's queue (handlers finish what they were given).
    public func stop() {
        let (task, handlers) = state.withLock { s in
            s.stopped = true
            defer { s.handlers = [:]; s.task = nil }
            return (s.task, Array(s.handlers.values))
        }
        task?.cancel()
        for handler in handlers { handler.finish() }
    }

    /// The last error the list/watch loop recovered from (a 410, a broken connection, a 403),
    /// for health checks and logs; the loop keeps retrying regardless.
    public var lastError: (any Error)? { state.withLock { $0.lastError } }

    /// Whether the first LIST has been stored in the cache.
    public var hasSynced: Bool { syncLatch.isOpen }

    /// Returns once `hasSynced`; throws `CancellationError` if the waiting task is cancelled.
    public func waitForSync() async throws { try await syncLatch.wait() }

    /// Adds an event handler; its events run one at a time on its own task, in order.
    @discardableResult
    public func addHandler(_ handler: @escaping @Sendable (InformerEvent<T>) async -> Void) -> InformerSubscription {
        let (stream, continuation) = AsyncStream<InformerEvent<T>>.makeStream()
        let consumer = Task { for await event in stream { await handler(event) } }
        let id = state.withLock { s -> Int in
            // Registered under the dispatch lock: the snapshot and later events neither overlap nor miss.
            for object in cache.list() { continuation.yield(.added(object)) }
            s.nextHandler += 1
            if s.stopped { continuation.finish() } else { s.handlers[s.nextHandler] = continuation }
            return s.nextHandler
        }
        return InformerSubscription { [weak self] in
            let removed = self?.state.withLock { $0.handlers.removeValue(forKey: id) }
            removed?.finish()
            consumer.cancel()
        }
    }

    /// Adds handlers for adds, updates (old, new) and deletes.
    @discardableResult
    public func addEventHandler(onAdd: @escaping @Sendable (T) async -> Void = { _ in },
                                onUpdate: @escaping @Sendable (T, T) async -> Void = { _, _ in },
                                onDelete: @escaping @Sendable (T) async -> Void = { _ in }) -> InformerSubscription {
        addHandler { event in
            switch event {
            case .added(let o): await onAdd(o)
            case .updated(let old, let new): await onUpdate(old, new)
            case .deleted(let o): await onDelete(o)
            }
        }
    }

    /// Applies one change to the cache and queues what changed for every handler, atomically.
    private func dispatch(_ change: () -> [InformerEvent<T>]) {
        state.withLock { s in
            for event in change() {
                for handler in s.handlers.values { handler.yield(event) }
            }
        }
    }
}

/// A registered handler; `cancel()` removes it.
public struct InformerSubscription: Sendable {
    private let onCancel: @Sendable () -> Void
    init(_ onCancel: @escaping @Sendable () -> Void) { self.onCancel = onCancel }
    public func cancel() { onCancel() }
}
