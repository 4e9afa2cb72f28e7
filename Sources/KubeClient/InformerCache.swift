import KubeAPI

/// A function from an object to the index values it is filed under (none, one or several).
public typealias IndexFunction<T> = @Sendable (T) -> [String]

/// Ready-made index functions.
public enum Indexers {
    /// Index name of `byNamespace`.
    public static let namespace = "namespace"

    /// Files objects under their namespace ("" for cluster-scoped kinds).
    public static func byNamespace<T: KubeObject>() -> IndexFunction<T> { { [$0.metadata.namespace ?? ""] } }

    /// Files objects under the value of a field-selector field (`spec.nodeName`), skipping "".
    public static func byField<T: KubeObject>(_ field: String) -> IndexFunction<T> {
        { object in object.fieldValue(field).flatMap { $0.isEmpty ? nil : [$0] } ?? [] }
    }

    /// Files objects under the value of one label, when they have it.
    public static func byLabel<T: KubeObject>(_ key: String) -> IndexFunction<T> {
        { object in object.metadata.labels?[key].map { [$0] } ?? [] }
    }
}

/// The informer's thread-safe copy of the watched objects, keyed by `namespace/name` (or
/// `name`), with secondary indexes. Read it from anywhere; only the informer writes it.
public final class InformerCache<T: KubeObject>: Sendable {
    private struct State {
        var items: [String: T] = [:]
        var indexers: [String: IndexFunction<T>] = [:]
        /// index name -> index value -> keys
        var indices: [String: [String: Set<String>]] = [:]
    }

    private let state = Locked(State())

    init() {
        addIndexer(Indexers.namespace, Indexers.byNamespace())
    }

    /// The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects.
    public static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return namespace + "/" + name }
        return name
    }

    public static func key(of object: T) -> String { key(namespace: object.metadata.namespace, name: object.name) }

    /// One object by namespace (nil for cluster-scoped kinds) and name.
    public func get(namespace: String? = nil, name: String) -> T? {
        state.withLock { $0.items[Self.key(namespace: namespace, name: name)] }
    }

    /// One object by cache key.
    public func get(key: String) -> T? { state.withLock { $0.items[key] } }

    /// Every object, in key order.
    public func list() -> [T] {
        state.withLock { s in s.items.keys.sorted().map { s.items[$0]! } }
    }

    /// The objects of one namespace, in key order.
    public func list(namespace: String) -> [T] { (try? byIndex(Indexers.namespace, namespace)) ?? [] }

    public var keys: [String] { state.withLock { $0.items.keys.sorted() } }
    public var count: Int { state.withLock { $0.items.count } }

    /// Adds (or replaces) an index and files every cached object under it.
    public func addIndexer(_ name: String, _ function: @escaping IndexFunction<T>) {
        state.withLock { s in
            s.indexers[name] = function
            var index: [String: Set<String>] = [:]
            for (key, object) in s.items {
                for value in function(object) { index[value, default: []].insert(key) }
            }
            s.indices[name] = index
        }
    }

    /// The objects filed under `value` in index `name`, in key order.
    public func byIndex(_ name: String, _ value: String) throws(KubeClientError) -> [T] {
        let found: [T]? = state.withLock { s in
            guard let index = s.indices[name] else { return nil }
            return (index[value] ?? []).sorted().compactMap { s.items[$0] }
        }
        guard let found else { throw .config("no index named \"\(name)\"") }
        return found
    }

    /// The values of index `name` (for example every node that has pods).
    public func indexValues(_ name: String) -> [String] {
        state.withLock { ($0.indices[name] ?? [:]).filter { !$0.value.isEmpty }.keys.sorted() }
    }

    // MARK: Writes (the informer's)

    /// Stores `object`; returns the previous version.
    @discardableResult
    func upsert(_ object: T) -> T? {
        let key = Self.key(of: object)
        return state.withLock { s in
            let old = s.items.updateValue(object, forKey: key)
            if let old { Self.unindex(&s, key: key, object: old) }
            Self.index(&s, key: key, object: object)
            return old
        }
    }

    /// Removes the object with `key`; returns it.
    @discardableResult
    func remove(key: String) -> T? {
        state.withLock { s in
            guard let old = s.items.removeValue(forKey: key) else { return nil }
            Self.unindex(&s, key: key, object: old)
            return old
        }
    }

    /// Replaces the whole contents with `objects` (a relist) and returns what changed.
    func replace(_ objects: [T]) -> [InformerEvent<T>] {
        var events: [InformerEvent<T>] = []
        var seen = Set<String>()
        for object in objects {
            let key = Self.key(of: object)
            seen.insert(key)
            if let old = upsert(object) {
                if old.metadata.resourceVersion != object.metadata.resourceVersion || old != object {
                    events.append(.updated(old: old, new: object))
                }
            } else {
                events.append(.added(object))
            }
        }
        for key in keys where !seen.contains(key) {
            if let old = remove(key: key) { events.append(.deleted(old)) }
        }
        return events
    }

    private static func index(_ s: inout State, key: String, object: T) {
        for (name, function) in s.indexers {
            for value in function(object) { s.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private static func unindex(_ s: inout State, key: String, object: T) {
        for (name, function) in s.indexers {
            for value in function(object) {
                s.indices[name]?[value]?.remove(key)
                if s.indices[name]?[value]?.isEmpty == true { s.indices[name]?[value] = nil }
            }
        }
    }
}

/// A change the informer observed.
public enum InformerEvent<T: KubeObject>: Sendable {
    case added(T)
    case updated(old: T, new: T)
    /// The last state the informer knew of (after a relist, the deletion itself was not seen).
    case deleted(T)

    /// The object after the change (the deleted object for `deleted`).
    public var object: T {
        switch self {
        case .added(let o), .deleted(let o): return o
        case .updated(_, let new): return new
        }
    }
}
