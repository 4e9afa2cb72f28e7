import NFTables

/// What incremental updates changed in a plan since the last apply: net element additions and
/// removals per set, chains added and removed. Lets a pod event be applied in time
/// proportional to the change, without comparing whole plans.
public struct PlanChanges: Sendable {
    var adds: [String: Set<SetElement>] = [:]
    var removes: [String: Set<SetElement>] = [:]
    var addedChains: Set<String> = []
    var removedChains: Set<String> = []

    public var isEmpty: Bool {
        adds.values.allSatisfy(\.isEmpty) && removes.values.allSatisfy(\.isEmpty) && addedChains.isEmpty
            && removedChains.isEmpty
    }

    mutating func insert(_ e: SetElement, into set: String) {
        if removes[set]?.remove(e) == nil { adds[set, default: []].insert(e) }
    }

    mutating func remove(_ e: SetElement, from set: String) {
        if adds[set]?.remove(e) == nil { removes[set, default: []].insert(e) }
    }

    mutating func addChain(_ name: String) {
        if removedChains.remove(name) == nil { addedChains.insert(name) }
    }

    mutating func removeChain(_ name: String) {
        if addedChains.remove(name) == nil { removedChains.insert(name) }
    }

    /// The batch applying these changes to a kernel that holds the plan before them.
    /// `old` supplies the definitions of removed chains.
    func batch(_ plan: PolicyPlan) -> Batch {
        var b = Batch()
        let added = addedChains.sorted(), removed = removedChains.sorted()
        for name in added { b.addChain(plan.chain(name)) }
        let order = { (d: [String: Set<SetElement>]) in d.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key } }
        for (name, es) in order(removes) {
            b.deleteElements(plan.sets[name]!.set, es.sorted { $0.description < $1.description })
        }
        for (name, es) in order(adds) where !plan.sets[name]!.set.isVerdictMap {
            b.addElements(plan.sets[name]!.set, es.sorted { $0.description < $1.description })
        }
        for name in added { for r in plan.chains[name]! { b.addRule(plan.chain(name), r.expressions) } }
        for (name, es) in order(adds) where plan.sets[name]!.set.isVerdictMap {
            b.addElements(plan.sets[name]!.set, es.sorted { $0.description < $1.description })
        }
        for name in removed { b.flushChain(Chain(table: PolicyPlan.table, name: name)) }
        for name in removed { b.deleteChain(Chain(table: PolicyPlan.table, name: name)) }
        return b
    }
}
