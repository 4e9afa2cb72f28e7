import Foundation
import KubeAPI
import NetAddr

/// Turns object events into backend syncs, the way kube-proxy's proxier does:
/// - events (`upsert`/`delete` of Services, EndpointSlices, Nodes) only record the object
///   and mark its Service dirty; an informer's handlers can call them directly;
/// - `run()` syncs at most once per `minSyncPeriod`, and fully every `fullSyncPeriod`;
/// - nothing is written before `markSynced()` (the informers' initial lists are complete);
/// - only dirty Services are re-planned and handed to the backend as changed;
/// - after a sync, stale UDP conntrack entries are deleted.
public final class ServiceProxier: @unchecked Sendable {
    public let backend: any ProxyBackend
    public let conntrack: (any ConntrackOps)?
    public let minSyncPeriod: TimeInterval
    public let fullSyncPeriod: TimeInterval
    private let baseConfig: ProxyConfig
    private let lock = NSLock()

    // Object caches (what the informers hold).
    private var services: [NamespacedName: Service] = [:]
    private var slices: [NamespacedName: EndpointSlice] = [:]
    private var slicesOf: [NamespacedName: Set<NamespacedName>] = [:]
    private var nodes: [String: Node] = [:]

    // Pending work.
    private var dirty = Set<NamespacedName>()
    private var nodeDirty = true
    private var oldestPending: Date?
    private var informersSynced = false

    // Last sync.
    private var node: NodeContext
    private var plans: [NamespacedName: ServicePlans] = [:]
    private var planSet: ProxyPlanSet
    private var lastSync: Date?
    private var lastFullSync: Date?
    private var needsFull = true
    private var metrics = ProxierMetrics()

    public init(config: ProxyConfig, backend: any ProxyBackend, conntrack: (any ConntrackOps)? = nil,
                minSyncPeriod: TimeInterval = 1, fullSyncPeriod: TimeInterval = 3600) {
        self.baseConfig = config
        self.backend = backend
        self.conntrack = conntrack
        self.minSyncPeriod = minSyncPeriod
        self.fullSyncPeriod = fullSyncPeriod
        node = NodeContext(nil, config: config)
        planSet = ProxyModel.emptyPlan(node)
    }

    // MARK: - Events

    public func upsert(_ svc: Service) { changed { services[svc.key] = svc; dirty.insert(svc.key) } }
    public func deleteService(_ key: NamespacedName) { changed { services[key] = nil; dirty.insert(key) } }

    public func upsert(_ slice: EndpointSlice) {
        changed {
            let key = slice.key
            if let old = slices[key], let svc = Self.owner(old) { slicesOf[svc]?.remove(key); dirty.insert(svc) }
            slices[key] = slice
            if let svc = Self.owner(slice) { slicesOf[svc, default: []].insert(key); dirty.insert(svc) }
        }
    }

    public func deleteEndpointSlice(_ key: NamespacedName) {
        changed {
            guard let old = slices.removeValue(forKey: key) else { return }
            if let svc = Self.owner(old) { slicesOf[svc]?.remove(key); dirty.insert(svc) }
        }
    }

    public func upsert(_ node: Node) {
        changed {
            nodes[node.metadata.name ?? ""] = node
            if node.metadata.name == baseConfig.nodeName { nodeDirty = true }
        }
    }

    public func deleteNode(_ name: String) {
        changed {
            nodes[name] = nil
            if name == baseConfig.nodeName { nodeDirty = true }
        }
    }

    /// The informers have listed everything: syncs may start.
    public func markSynced() { lock.withLock { informersSynced = true; if oldestPending == nil { oldestPending = Date() } } }

    private func changed(_ body: () -> Void) {
        lock.withLock {
            body()
            if oldestPending == nil { oldestPending = Date() }
        }
    }

    private static func owner(_ s: EndpointSlice) -> NamespacedName? {
        s.serviceName.map { NamespacedName(s.metadata.namespace ?? "", $0) }
    }

    // MARK: - Syncing

    /// Syncs now if anything is pending (or `force`), ignoring the rate limit. Returns nil
    /// when there was nothing to do or the informers have not synced yet.
    @discardableResult
    public func syncNow(force: Bool = false) throws -> SyncStats? {
        try lock.withLock {
            guard informersSynced else { return nil }
            let fullDue = needsFull || lastFullSync.map { Date().timeIntervalSince($0) >= fullSyncPeriod } ?? true
            guard force || fullDue || nodeDirty || !dirty.isEmpty else { return nil }
            return try syncLocked(full: fullDue)
        }
    }

    private func syncLocked(full: Bool) throws -> SyncStats {
        let start = Date()
        var full = full
        if nodeDirty {
            let n = NodeContext(nodes[baseConfig.nodeName], config: baseConfig)
            if n != node {
                node = n
                full = true
                dirty.formUnion(services.keys)
                dirty.formUnion(plans.keys)
            }
            nodeDirty = false
        }
        if full { planSet = ProxyModel.emptyPlan(node); for p in plans.values { planSet.insert(p) } }
        var changedPorts = Set<ServicePortName>()
        var cleanup: [ConntrackFilter] = []
        var before: [NamespacedName: ServicePlans?] = [:]
        for key in dirty {
            let old = plans[key]
            let sl = (slicesOf[key] ?? []).compactMap { slices[$0] }.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            let new = ProxyModel.servicePlans(key, services[key], slices: sl, node: node)
            if let old { planSet.remove(old) }
            planSet.insert(new)
            plans[key] = new.v4.isEmpty && new.v6.isEmpty && new.healthCheck == nil ? nil : new
            before.updateValue(old, forKey: key)
            for p in (old?.v4 ?? []) + (old?.v6 ?? []) + new.v4 + new.v6 { changedPorts.insert(p.name) }
        }
        let stats: SyncStats
        do {
            stats = try backend.sync(planSet, changed: full ? nil : changedPorts, full: full)
        } catch {
            metrics.failures += 1
            needsFull = true
            throw error
        }
        for (key, old) in before {
            let new = plans[key]
            for f in [IPFamily.v4, .v6] {
                let o = Dictionary((old?[f] ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                let n = Dictionary((new?[f] ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                for name in Set(o.keys).union(n.keys) {
                    cleanup += ConntrackCleanup.filters(old: o[name], new: n[name])
                }
            }
        }
        dirty.removeAll()
        oldestPending = nil
        needsFull = false
        let now = Date()
        lastSync = now
        if stats.full { lastFullSync = now }
        metrics.record(stats, seconds: now.timeIntervalSince(start))
        if let conntrack, !cleanup.isEmpty {
            do { try conntrack.delete(cleanup) } catch { metrics.failures += 1 }
        }
        return stats
    }

    /// Syncs until cancelled: at most once per `minSyncPeriod`, fully every `fullSyncPeriod`.
    /// A failed sync is retried (fully) after `minSyncPeriod`.
    public func run(onError: @Sendable (any Error) -> Void = { _ in }) async {
        while !Task.isCancelled {
            let wait: TimeInterval = lock.withLock {
                guard let last = lastSync else { return 0 }
                return max(0, minSyncPeriod - Date().timeIntervalSince(last))
            }
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
            do { try syncNow() } catch { onError(error) }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    // MARK: - State for health, metrics and --dump

    /// The plan of the last sync (`trellis proxy --dump`).
    public var currentPlan: ProxyPlanSet { lock.withLock { planSet } }

    /// kube-proxy's healthz rule: unhealthy while a queued change is older than twice the
    /// minimum sync period (the proxy is not keeping up, or cannot write rules).
    public func isHealthy(now: Date = Date()) -> Bool {
        lock.withLock {
            guard let pending = oldestPending else { return true }
            return now.timeIntervalSince(pending) < 2 * max(minSyncPeriod, 0.001)
        }
    }

    /// The `healthCheckNodePort` data of the last sync.
    public var healthChecks: [HealthCheck] { lock.withLock { planSet.healthChecks.values.sorted() } }

    /// Counters for `/metrics`.
    public var metricsSnapshot: ProxierMetrics {
        lock.withLock {
            var m = metrics
            m.pendingServices = dirty.count
            m.noLocalEndpoints = planSet.healthChecks.values.filter { $0.localEndpoints == 0 }.count
            return m
        }
    }
}

/// The proxier's counters, rendered in Prometheus text format by `ProxyHTTP`.
public struct ProxierMetrics: Sendable {
    public var fullSyncs = 0
    public var partialSyncs = 0
    public var failures = 0
    public var lastFullSyncSeconds = 0.0
    public var lastPartialSyncSeconds = 0.0
    public var syncSecondsTotal = 0.0
    public var pendingServices = 0
    public var noLocalEndpoints = 0

    mutating func record(_ s: SyncStats, seconds: Double) {
        if s.full { fullSyncs += 1; lastFullSyncSeconds = seconds } else { partialSyncs += 1; lastPartialSyncSeconds = seconds }
        syncSecondsTotal += seconds
    }

    public var prometheusText: String {
        """
        # HELP trellis_proxy_syncs_total Syncs of the rules, by kind.
        # TYPE trellis_proxy_syncs_total counter
        trellis_proxy_syncs_total{kind="full"} \(fullSyncs)
        trellis_proxy_syncs_total{kind="partial"} \(partialSyncs)
        # HELP trellis_proxy_sync_failures_total Failed syncs and conntrack cleanups.
        # TYPE trellis_proxy_sync_failures_total counter
        trellis_proxy_sync_failures_total \(failures)
        # HELP trellis_proxy_last_sync_seconds Duration of the last sync, by kind.
        # TYPE trellis_proxy_last_sync_seconds gauge
        trellis_proxy_last_sync_seconds{kind="full"} \(lastFullSyncSeconds)
        trellis_proxy_last_sync_seconds{kind="partial"} \(lastPartialSyncSeconds)
        # HELP trellis_proxy_sync_seconds_total Time spent syncing.
        # TYPE trellis_proxy_sync_seconds_total counter
        trellis_proxy_sync_seconds_total \(syncSecondsTotal)
        # HELP trellis_proxy_pending_services Services changed since the last sync.
        # TYPE trellis_proxy_pending_services gauge
        trellis_proxy_pending_services \(pendingServices)
        # HELP trellis_proxy_no_local_endpoints Health-checked Services with no local endpoint.
        # TYPE trellis_proxy_no_local_endpoints gauge
        trellis_proxy_no_local_endpoints \(noLocalEndpoints)

        """
    }
}
