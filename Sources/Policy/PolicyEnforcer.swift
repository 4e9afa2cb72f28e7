#if canImport(Glibc)
import Glibc
#endif
import KubeAPI
import NFTables
import NetAddr

/// Enforces policy on one node: takes object events (as a shared informer delivers them),
/// keeps a `PolicyCompiler` current and applies the plan difference as one nftables batch.
///
/// Every event method applies before returning, so once `upsert(pod)` returns the pod is
/// programmed. `batch { … }` groups many events (an informer's initial list) into one apply.
/// Until `start()` has run, nothing is installed; `start()` installs the table with the
/// fail-closed rule, so it must run before pods on this node start.
public final class PolicyEnforcer: @unchecked Sendable {
    private var compiler: PolicyCompiler
    private var applied: PolicyPlan?
    private let nft: any NFTablesOps
    private let lock = NSLockLike()
    private var batching = 0

    /// Statistics for metrics: applies done, the last apply's duration and operation count.
    public private(set) var syncCount = 0
    public private(set) var lastSyncSeconds = 0.0
    public private(set) var lastBatchOperations = 0
    /// Of `lastSyncSeconds`, the time the kernel took (`apply` of the batch).
    public private(set) var lastApplySeconds = 0.0
    /// Strict mode's policy generation (1…65535), bumped on every apply.
    public private(set) var generation: UInt32 = 0
    private let strict: Bool

    public init(nodeName: String, podCIDRs: [IPPrefix], strict: Bool = true, nft: any NFTablesOps) {
        compiler = PolicyCompiler(nodeName: nodeName, podCIDRs: podCIDRs, strict: strict)
        self.nft = nft
        self.strict = strict
    }

    /// An enforcer on this network namespace's nftables.
    public convenience init(nodeName: String, podCIDRs: [IPPrefix], strict: Bool = true) throws {
        self.init(nodeName: nodeName, podCIDRs: podCIDRs, strict: strict, nft: try NFTablesConnection())
    }

    /// Installs the table (replacing any left by an earlier run) in one transaction.
    public func start() throws {
        try lock.with { try sync(force: true) }
    }

    /// Removes the table.
    public func stop() throws {
        try lock.with {
            if try nft.tableExists(PolicyPlan.table) { try nft.apply(Batch([.deleteTable(PolicyPlan.table)])) }
            applied = nil
        }
    }

    // MARK: events

    public func upsert(_ pod: Pod) throws { try change { $0.upsert(PodInfo(pod)) } }
    public func deletePod(namespace: String, name: String) throws {
        try change { $0.deletePod(namespace: namespace, name: name) }
    }
    public func upsert(_ ns: Namespace) throws { try change { $0.update(deferred: self.batching > 0) { $0.upsert(ns) } } }
    public func deleteNamespace(_ name: String) throws { try change { $0.update(deferred: self.batching > 0) { $0.deleteNamespace(name) } } }
    public func upsert(_ np: NetworkPolicy) throws { try change { $0.update(deferred: self.batching > 0) { $0.upsert(np) } } }
    public func deleteNetworkPolicy(namespace: String, name: String) throws {
        try change { $0.update(deferred: self.batching > 0) { $0.deleteNetworkPolicy(namespace: namespace, name: name) } }
    }
    public func upsert(_ cnp: ClusterNetworkPolicy) throws { try change { $0.update(deferred: self.batching > 0) { $0.upsert(cnp) } } }
    public func deleteClusterNetworkPolicy(_ name: String) throws {
        try change { $0.update(deferred: self.batching > 0) { $0.deleteClusterNetworkPolicy(name) } }
    }

    /// Runs `body` (event calls) and applies once at the end.
    public func batch(_ body: () throws -> Void) throws {
        lock.with { batching += 1 }
        defer { lock.with { batching -= 1 } }
        try body()
        try lock.with { if batching == 1 { try sync(force: false) } }
    }

    /// The evaluator's verdict on a flow, with the rules that decided it (`--explain`).
    public func explain(_ flow: Flow) -> PolicyDecision {
        lock.with { PolicyModel(compiler.state).decide(flow) }
    }

    /// The plan in force, as text.
    public var planDescription: String { lock.with { compiler.plan.description } }

    public var state: ClusterState { lock.with { compiler.state } }

    private func change(_ body: (inout PolicyCompiler) -> Void) throws {
        try lock.with {
            body(&compiler)
            if batching == 0 { try sync(force: false) }
        }
    }

    private func sync(force: Bool) throws {
        let start = monotonicSeconds()
        compiler.finish()
        let target = compiler.plan
        var b: Batch
        if !force, let applied, let changes = compiler.takeChanges() {
            // Incremental: pod events since the last apply.
            if changes.isEmpty { return }
            b = changes.batch(target)
            _ = applied
        } else {
            _ = compiler.takeChanges()
            if !force, let applied, applied == target { return }
            let exists = applied == nil ? try nft.tableExists(PolicyPlan.table) : true
            b = target.batch(from: force ? nil : applied, tableExists: exists)
        }
        let next = generation % 0xffff + 1
        if strict { b.append(contentsOf: Self.generationBatch(next, previous: generation)) }
        let applyStart = monotonicSeconds()
        do {
            try nft.apply(b)
            lastApplySeconds = monotonicSeconds() - applyStart
            applied = target
            generation = next
        } catch {
            applied = nil  // unknown kernel state: the next sync replaces the table
            throw error
        }
        syncCount += 1
        lastBatchOperations = b.operations.count
        lastSyncSeconds = monotonicSeconds() - start
    }
}

extension PolicyEnforcer {
    /// Strict mode: make `generation` current (the `@gen` set) and the one the `mark` chains
    /// stamp. Established connections marked with an older one are checked again.
    static func generationBatch(_ generation: UInt32, previous: UInt32) -> Batch {
        let t = PolicyPlan.table
        var b = Batch()
        let gen = NFTSet(table: t, name: "gen", key: [.mark])
        b.flushSet(gen)
        b.addElements(gen, [SetElement([.mark(generation << 16)])])
        for (name, hook, prio) in [("mark", ChainHook.forward, Int32(2)), ("mark-host", .input, 1)] {
            let c = Chain(table: t, name: name, base: BaseChain(type: .filter, hook: hook, priority: prio))
            b.flushChain(c)
            b.addRule(c, PlanRule.markGeneration(generation).expressions)
        }
        return b
    }
}

/// A pthread mutex (Foundation-free).
final class NSLockLike: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        m = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(m, &attr)
    }
    deinit { pthread_mutex_destroy(m); m.deallocate() }
    func with<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
