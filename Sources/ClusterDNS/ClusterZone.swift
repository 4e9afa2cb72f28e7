import Dispatch
import KubeAPI
import Synchronization

/// The live cluster zone: takes object events, rebuilds the `ZoneSnapshot` off the query
/// path and publishes it. Events arriving while a rebuild runs are folded into the next
/// one, so a burst of changes costs one rebuild, and an answer never lags the API by more
/// than one rebuild.
///
/// Readers never lock per query: each server thread keeps a `Reader`, which compares one
/// atomic generation number and takes the lock only when a new snapshot was published.
public final class ClusterZone: Sendable {
    public let options: ZoneOptions
    struct Guarded: ~Copyable {
        var state = ClusterState()
        var current: ZoneSnapshot
        var dirty = false
        var scheduled = false
        var serial: UInt32 = 1
    }
    let guarded: Mutex<Guarded>
    let generation = Atomic<Int>(0)
    let queue = DispatchQueue(label: "trellis.dns.zone-rebuild")
    /// Called after each publication (metrics, logs), on the rebuild queue.
    let onPublish: (@Sendable (ZoneSnapshot, Duration) -> Void)?

    public init(options: ZoneOptions, onPublish: (@Sendable (ZoneSnapshot, Duration) -> Void)? = nil) {
        self.options = options
        self.onPublish = onPublish
        guarded = Mutex(Guarded(current: ZoneSnapshot.build(ClusterState(), options: options, serial: 1)))
    }

    /// The latest published snapshot (takes the lock; per-query readers use `Reader`).
    public var snapshot: ZoneSnapshot { guarded.withLock { $0.current } }

    /// Applies `change` to the state and schedules a rebuild.
    public func update(_ change: (inout ClusterState) -> Void) {
        let schedule = guarded.withLock { g -> Bool in
            change(&g.state)
            g.dirty = true
            if g.scheduled { return false }
            g.scheduled = true
            return true
        }
        if schedule { queue.async { self.rebuildLoop() } }
    }

    public func upsert(service: Service) { update { $0.upsert(service: service) } }
    public func delete(service: Service) { update { $0.delete(service: service) } }
    public func upsert(endpointSlice: EndpointSlice) { update { $0.upsert(endpointSlice: endpointSlice) } }
    public func delete(endpointSlice: EndpointSlice) { update { $0.delete(endpointSlice: endpointSlice) } }
    public func upsert(pod: Pod) { update { $0.upsert(pod: pod) } }
    public func delete(pod: Pod) { update { $0.delete(pod: pod) } }
    public func upsert(namespace: Namespace) { update { $0.upsert(namespace: namespace) } }
    public func delete(namespace: Namespace) { update { $0.delete(namespace: namespace) } }
    /// Every informer has synced: stop answering SERVFAIL.
    public func markSynced() { update { $0.markSynced() } }

    /// Waits until every change made so far is published.
    public func flush() {
        queue.sync {}
        rebuildLoop()
    }

    func rebuildLoop() {
        while true {
            let work = guarded.withLock { g -> (ClusterState, UInt32)? in
                guard g.dirty else { g.scheduled = false; return nil }
                g.dirty = false
                g.serial &+= 1
                return (g.state, g.serial)
            }
            guard let (state, serial) = work else { return }
            let clock = ContinuousClock()
            let start = clock.now
            let snap = ZoneSnapshot.build(state, options: options, serial: serial)
            guarded.withLock { g in
                if serial > g.current.serial { g.current = snap }
            }
            generation.add(1, ordering: .releasing)
            onPublish?(snap, clock.now - start)
        }
    }

    /// A per-thread handle on the current snapshot.
    public struct Reader: @unchecked Sendable {
        let zone: ClusterZone
        var seen: Int
        public private(set) var snapshot: ZoneSnapshot

        public init(_ zone: ClusterZone) {
            self.zone = zone
            seen = zone.generation.load(ordering: .acquiring)
            snapshot = zone.snapshot
        }

        /// Refreshes `snapshot` if a newer one was published: one atomic load when not.
        @inline(__always)
        public mutating func refresh() -> ZoneSnapshot {
            let g = zone.generation.load(ordering: .acquiring)
            if g != seen {
                seen = g
                snapshot = zone.snapshot
            }
            return snapshot
        }
    }
}
