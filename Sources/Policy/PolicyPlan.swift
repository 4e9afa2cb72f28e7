import NFTables

/// One rule of the plan: the expressions, and the same rule in nft's words for golden tests
/// and for naming chains by their content.
public struct PlanRule: Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var expressions: [Expression]
    public var description: String { text }
}

/// A set (or verdict map) and its elements.
public struct PlanSet: Equatable, Sendable {
    public var set: NFTSet
    public var elements: Set<SetElement>
}

/// The whole `inet trellis_policy` table as a value: base chains with fixed rules, per-program
/// chains named by a hash of their content (so a chain never changes in place: a new program
/// is a new chain), and sets. `description` is a stable, sorted text for golden tests.
public struct PolicyPlan: Equatable, Sendable, CustomStringConvertible {
    public static let table = Table(.inet, "trellis_policy")

    public var baseChains: [String: BaseChain] = [:]
    /// Rules of base and regular chains.
    public var chains: [String: [PlanRule]] = [:]
    public var sets: [String: PlanSet] = [:]

    public init() {}

    public var description: String {
        var lines = ["table \(Self.table)"]
        for name in chains.keys.sorted(by: chainOrder) {
            if let b = baseChains[name] {
                lines.append("chain \(name) { type \(b.type.rawValue) hook \(b.hook) priority \(b.priority) }")
            } else {
                lines.append("chain \(name)")
            }
            lines += chains[name]!.map { "  \($0.text)" }
        }
        for name in sets.keys.sorted() {
            let s = sets[name]!
            lines.append("\(s.set.isVerdictMap ? "map" : "set") \(name) { type \(s.set.key.map(\.rawValue).joined(separator: " . "))\(s.set.isVerdictMap ? " : verdict" : "") }")
            lines += s.elements.map { "  \($0)" }.sorted()
        }
        return lines.joined(separator: "\n")
    }

    /// Base chains first (in hook order), then the rest by name.
    private func chainOrder(_ a: String, _ b: String) -> Bool {
        switch (baseChains[a], baseChains[b]) {
        case let (x?, y?): return (x.hook.rawValue, x.priority, a) < (y.hook.rawValue, y.priority, b)
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }

    func chain(_ name: String) -> Chain { Chain(table: Self.table, name: name, base: baseChains[name]) }
}

extension PolicyPlan {
    /// The batch that turns `old` (what is in the kernel) into `self`, touching only what
    /// changed. With `old == nil` (first apply, or after an error) the table is replaced
    /// wholesale in the same transaction, so there is no moment without policy.
    public func batch(from old: PolicyPlan?, tableExists: Bool = true) -> Batch {
        var b = Batch()
        guard let old else {
            if tableExists { b.deleteTable(Self.table) }
            b.addTable(Self.table)
            appendCreation(of: self, to: &b, from: PolicyPlan())
            return b
        }
        appendCreation(of: self, to: &b, from: old)
        return b
    }

    private func appendCreation(of new: PolicyPlan, to b: inout Batch, from old: PolicyPlan) {
        // 1. New sets and chains (empty), so that rules and elements can refer to them.
        for (name, s) in new.sets where old.sets[name] == nil { b.addSet(s.set) }
        for name in new.chains.keys.sorted() where old.chains[name] == nil { b.addChain(new.chain(name)) }
        // 2. Element changes of plain sets; verdict maps wait until their chains have rules.
        var mapAdds: [(NFTSet, [SetElement])] = []
        for (name, s) in new.sets.sorted(by: { $0.key < $1.key }) {
            let before = old.sets[name]?.elements ?? []
            if before == s.elements { continue }
            let removed = before.subtracting(s.elements), added = s.elements.subtracting(before)
            if !removed.isEmpty { b.deleteElements(s.set, removed.sorted { $0.description < $1.description }) }
            let adds = added.sorted { $0.description < $1.description }
            if adds.isEmpty { continue }
            if s.set.isVerdictMap { mapAdds.append((s.set, adds)) } else { b.addElements(s.set, adds) }
        }
        // 3. Rules: new chains get theirs; a base chain whose rules changed is flushed first.
        for name in new.chains.keys.sorted() {
            let rules = new.chains[name]!
            if let before = old.chains[name] {
                if before == rules { continue }
                b.flushChain(new.chain(name))
            }
            for r in rules { b.addRule(new.chain(name), r.expressions) }
        }
        for (s, adds) in mapAdds { b.addElements(s, adds) }
        // 4. What is no longer referenced: chains, then sets.
        let gone = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
        for name in gone { b.flushChain(old.chain(name)) }
        for name in gone { b.deleteChain(old.chain(name)) }
        for (name, s) in old.sets.sorted(by: { $0.key < $1.key }) where new.sets[name] == nil { b.deleteSet(s.set) }
    }
}
