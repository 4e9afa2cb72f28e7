import KubeAPI

/// Hands out one `SharedInformer` per (kind, namespace, label selector, field selector), so a
/// process has one watch per resource however many controllers read it.
///
/// Informers asked for before `start()` start with it; those asked for after start at once.
public final class SharedInformerFactory: Sendable {
    public let client: KubeClient
    private let backoff: Backoff
    private let state = Locked(State())

    private struct State {
        var informers: [Key: any InformerControl] = [:]
        var started = false
    }

    private struct Key: Hashable {
        var type: ObjectIdentifier
        var namespace: String?
        var labelSelector: String?
        var fieldSelector: String?
    }

    public init(client: KubeClient, backoff: Backoff = Backoff()) {
        self.client = client
        self.backoff = backoff
    }

    /// The shared informer of `T` for this namespace (nil: all) and selectors.
    public func informer<T: KubeObject>(_ type: T.Type, namespace: String? = nil, labelSelector: String? = nil,
                                        fieldSelector: String? = nil) -> SharedInformer<T> {
        let key = Key(type: ObjectIdentifier(T.self), namespace: T.resource.namespaced ? namespace : nil,
                      labelSelector: labelSelector.flatMap { $0.isEmpty ? nil : $0 },
                      fieldSelector: fieldSelector.flatMap { $0.isEmpty ? nil : $0 })
        let (informer, start) = state.withLock { s -> (SharedInformer<T>, Bool) in
            if let existing = s.informers[key] as? SharedInformer<T> { return (existing, false) }
            let made = SharedInformer<T>(client: client, namespace: key.namespace, labelSelector: key.labelSelector,
                                         fieldSelector: key.fieldSelector, backoff: backoff)
            s.informers[key] = made
            return (made, s.started)
        }
        if start { informer.start() }
        return informer
    }

    /// Starts every informer made so far and any made later.
    public func start() {
        let all = state.withLock { s in
            s.started = true
            return Array(s.informers.values)
        }
        for informer in all { informer.start() }
    }

    /// Returns once every informer made so far has synced.
    public func waitForSync() async throws {
        for informer in state.withLock({ Array($0.informers.values) }) { try await informer.waitForSync() }
    }

    /// Stops every informer.
    public func shutdown() {
        for informer in state.withLock({ Array($0.informers.values) }) { informer.stop() }
    }
}

/// What the factory needs of an informer of any kind.
protocol InformerControl: Sendable {
    func start()
    func stop()
    func waitForSync() async throws
}

extension SharedInformer: InformerControl {}
