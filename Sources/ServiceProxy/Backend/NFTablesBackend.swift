import Foundation
import NFTables
import NetAddr

/// The nftables backend: one table per family (`ip trellis_proxy`, `ip6 trellis_proxy`),
/// every sync ONE batch for both families.
///
/// A full sync deletes and re-creates both tables in the same transaction (removing anything
/// foreign; established connections keep their conntrack NAT). A partial sync rewrites only
/// the chains, maps and shared-map elements of Service ports whose rendering changed.
/// ClientIP affinity state lives in the tables' dynamic sets and so restarts at a full sync.
public final class NFTablesBackend: ProxyBackend, @unchecked Sendable {
    private let nft: any NFTablesOps
    private let lock = NSLock()
    private var state: [IPFamily: FamilyState] = [:]
    private var synced = false

    struct FamilyState {
        var installed: [ServicePortName: ServiceObjects] = [:]
        /// Who wants each shared-map key; the smallest Service port name wins a conflict.
        var claims: [SharedKey: [ServicePortName: Verdict]] = [:]
        var shared: [SharedKey: Verdict] = [:]
        var node: NodeSets?
        var slots = SlotAllocator()
    }

    /// Hands out consecutive slots of the `endpoints` map; freed ranges are reused by sets
    /// of the same size.
    struct SlotAllocator {
        var next: UInt32 = 0
        var free: [Int: [UInt32]] = [:]

        mutating func allocate(_ count: Int) -> UInt32 {
            if let first = free[count]?.popLast() { return first }
            defer { next += UInt32(count) }
            return next
        }

        mutating func release(_ r: SlotRange) { free[r.count, default: []].append(r.first) }
    }

    struct NodeSets: Hashable {
        var nodePortIPs: [IPAddress], nodeIPs: [IPAddress], clusterCIDRs: [IPPrefix], mark: UInt32
        init(_ p: ProxyPlan) {
            nodePortIPs = p.nodePortIPs; nodeIPs = p.nodeIPs; clusterCIDRs = p.clusterCIDRs; mark = p.masqueradeMark
        }
    }

    public init(nft: any NFTablesOps) {
        self.nft = nft
    }

    public func sync(_ plans: ProxyPlanSet, changed: Set<ServicePortName>?, full: Bool) throws -> SyncStats {
        try lock.withLock {
            var phases = Phases()
            // State is changed in place (copying dictionaries of every Service port would cost
            // more than the sync); if the kernel refuses the batch, the next sync is full and
            // rebuilds it from scratch.
            var stats = SyncStats(full: full || !synced)
            for family in [IPFamily.v4, .v6] {
                let plan = plans[family]
                var fs = state.removeValue(forKey: family) ?? FamilyState()
                let t = ProxyTable(family)
                let node = NodeSets(plan)
                // The masquerade mark and whether cluster CIDRs exist shape every chain.
                let reshaped = fs.node.map { $0.mark != node.mark || $0.clusterCIDRs.isEmpty != node.clusterCIDRs.isEmpty } ?? true
                if stats.full || reshaped {
                    stats.full = true
                    fs = FamilyState()
                    phases.prologue += [.addTable(t.table), .deleteTable(t.table), .addTable(t.table)]
                    phases.prologue.append(contentsOf: t.skeleton(plan).operations)
                } else if fs.node != node {
                    phases.prologue.append(contentsOf: t.nodeSets(plan).operations)
                }
                fs.node = node
                let names: [ServicePortName]
                if stats.full || changed == nil {
                    names = Array(Set(plan.services.keys).union(fs.installed.keys)).sorted()
                } else {
                    names = changed!.sorted()  // deterministic slot allocation
                }
                var touched = Set<SharedKey>()
                for name in names {
                    let old = fs.installed[name] ?? ServiceObjects()
                    let new = plan.services[name].map {
                        ServiceObjects($0, in: t, hasClusterCIDRs: !node.clusterCIDRs.isEmpty) { chain, count in
                            if let r = old.slotRanges[chain], r.count == count { return r.first }
                            return fs.slots.allocate(count)
                        }
                    } ?? ServiceObjects()
                    if old == new { continue }
                    for (chain, r) in old.slotRanges where new.slotRanges[chain] != r { fs.slots.release(r) }
                    stats.servicePortsChanged += 1
                    phases.diff(old, new, in: t)
                    for k in old.shared.keys where new.shared[k] == nil { fs.claims[k]?[name] = nil; touched.insert(k) }
                    for (k, v) in new.shared where old.shared[k] != v { fs.claims[k, default: [:]][name] = v; touched.insert(k) }
                    fs.installed[name] = new.chains.isEmpty && new.shared.isEmpty ? nil : new
                }
                for k in touched {
                    let want = fs.claims[k]?.min { $0.key < $1.key }?.value
                    if fs.claims[k]?.isEmpty == true { fs.claims[k] = nil }
                    let have = fs.shared[k]
                    if want == have { continue }
                    let set = t.sharedMap(k.map)
                    if have != nil { phases.sharedDeletes.append(.deleteElements(set, [SetElement(k.fields)])) }
                    if let want {
                        phases.sharedAdds.append(.addElements(set, [SetElement(k.fields, verdict: k.map.isVerdictMap ? want : nil)]))
                    }
                    fs.shared[k] = want
                }
                state[family] = fs
            }
            let batch = phases.batch
            stats.operations = batch.operations.count
            if !batch.isEmpty {
                let start = Date()
                defer { stats.applySeconds = Date().timeIntervalSince(start) }
                do { try nft.apply(batch) } catch {
                    synced = false
                    throw error
                }
            }
            synced = true
            return stats
        }
    }

    public func cleanup() throws {
        try lock.withLock {
            var b = Batch()
            for f in [IPFamily.v4, .v6] {
                let t = ProxyTable(f).table
                if try nft.tableExists(t) { b.deleteTable(t) }
            }
            if !b.isEmpty { try nft.apply(b) }
            state = [:]
            synced = false
        }
    }
}

/// The operations of one sync, in an order the kernel accepts within one transaction:
/// new objects first, then shared-map deletions, flushes, rules and elements, shared-map
/// additions, and last the deletion of sets and chains nothing refers to any more.
struct Phases {
    var prologue: [Batch.Operation] = []
    var adds: [Batch.Operation] = []
    var sharedDeletes: [Batch.Operation] = []
    var flushes: [Batch.Operation] = []
    var fills: [Batch.Operation] = []
    var sharedAdds: [Batch.Operation] = []
    var setDeletes: [Batch.Operation] = []
    var chainDeletes: [Batch.Operation] = []

    var batch: Batch {
        Batch(prologue + adds + sharedDeletes + flushes + fills + sharedAdds + setDeletes + chainDeletes)
    }

    mutating func diff(_ old: ServiceObjects, _ new: ServiceObjects, in t: ProxyTable) {
        // Endpoint slots: deletions before additions (a freed range may be reused at once).
        let gone = old.endpointSlots.filter { new.endpointSlots[$0.key] != $0.value }.keys.sorted()
        let added = new.endpointSlots.filter { old.endpointSlots[$0.key] != $0.value }.sorted { $0.key < $1.key }
        for (shard, slots) in Dictionary(grouping: gone, by: \.shard).sorted(by: { $0.key < $1.key }) {
            sharedDeletes.append(.deleteElements(t.endpoints(shard: shard), slots.map { SetElement([.mark($0.slot)]) }))
        }
        for (shard, slots) in Dictionary(grouping: added, by: \.key.shard).sorted(by: { $0.key < $1.key }) {
            sharedAdds.append(.addElements(t.endpoints(shard: shard), slots.map { SetElement([.mark($0.key.slot)], data: $0.value) }))
        }
        for (name, rules) in new.chains {
            let c = t.chain(name)
            if let was = old.chains[name] {
                if was == rules { continue }
                flushes.append(.flushChain(c))
            } else {
                adds.append(.addChain(c))
            }
            for r in rules { fills.append(.addRule(Rule(chain: c, expressions: r))) }
        }
        for name in old.chains.keys where new.chains[name] == nil {
            // Flush first: its rules may refer to sets deleted below.
            flushes.append(.flushChain(t.chain(name)))
            chainDeletes.append(.deleteChain(t.chain(name)))
        }
        for (name, spec) in new.sets {
            if let was = old.sets[name] {
                if was == spec { continue }
                if was.set != spec.set {
                    // Another definition (a new affinity timeout): re-create it once the rules
                    // that use it are flushed.
                    flushes.append(.deleteSet(was.set))
                    flushes.append(.addSet(spec.set))
                } else {
                    flushes.append(.flushSet(spec.set))
                }
            } else {
                adds.append(.addSet(spec.set))
            }
            if !spec.elements.isEmpty { fills.append(.addElements(spec.set, spec.elements)) }
        }
        for (name, spec) in old.sets where new.sets[name] == nil {
            setDeletes.append(.deleteSet(spec.set))
        }
    }
}
