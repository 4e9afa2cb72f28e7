#if canImport(Glibc)
import Glibc
#endif

/// An in-memory nftables with the kernel's transaction rules, for pure tests of controllers:
/// a batch applies entirely or not at all; deleting a missing table, chain, set or element
/// is ENOENT; re-adding a table, chain, set or element is not an error; `destroyElements`
/// ignores missing elements. Rules are kept as given (not evaluated).
public final class NFTablesFake: NFTablesOps, @unchecked Sendable, CustomStringConvertible {
    struct TableState {
        var chains: [String: (chain: Chain, rules: [[Expression]])] = [:]
        var sets: [String: (set: NFTSet, elements: [[ElementField]: SetElement])] = [:]
    }

    private var tables: [Table: TableState] = [:]
    private var failures: [Int: Int32] = [:]
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Number of `apply` calls so far (including failed ones).
    public private(set) var applyCount = 0

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws(NFTablesError) -> T) throws(NFTablesError) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Makes the `n`th `apply` from now (1 = the next) fail with `errno` and change nothing.
    public func failApply(_ n: Int = 1, errno: Int32) {
        try? locked { () throws(NFTablesError) in failures[applyCount + n] = errno }
    }

    public func apply(_ batch: Batch) throws(NFTablesError) {
        try locked { () throws(NFTablesError) in
            applyCount += 1
            if let e = failures.removeValue(forKey: applyCount) {
                throw NFTablesError("NFNL_MSG_BATCH", "nf_tables", errno: e)
            }
            var next = tables
            for (i, op) in batch.operations.enumerated() {
                try op.validate(index: i)
                if let e = Self.apply(op, to: &next) {
                    throw NFTablesError(op.messageName, op.object, errno: e, operationIndex: i)
                }
            }
            tables = next
        }
    }

    public func tableExists(_ table: Table) throws(NFTablesError) -> Bool {
        try locked { () throws(NFTablesError) in tables[table] != nil }
    }

    public func elements(of set: NFTSet) throws(NFTablesError) -> [SetElement] {
        try locked { () throws(NFTablesError) -> [SetElement] in
            guard let s = tables[set.table]?.sets[set.name] else {
                throw NFTablesError("NFT_MSG_GETSETELEM", "\(set)", errno: ENOENT)
            }
            return s.elements.values.sorted { $0.description < $1.description }
        }
    }

    /// The rules of a chain, or nil when it does not exist.
    public func rules(_ chain: Chain) -> [[Expression]]? {
        try? locked { () throws(NFTablesError) in tables[chain.table]?.chains[chain.name]?.rules }
    }

    /// A sorted text dump of every table, chain (rule count) and set (elements).
    public var description: String {
        (try? locked { () throws(NFTablesError) -> String in
            var lines: [String] = []
            for (t, state) in tables.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                lines.append("table \(t)")
                for (name, c) in state.chains.sorted(by: { $0.key < $1.key }) {
                    lines.append("  chain \(name): \(c.rules.count) rules")
                }
                for (name, s) in state.sets.sorted(by: { $0.key < $1.key }) {
                    lines.append("  set \(name)")
                    lines += s.elements.values.map { "    \($0)" }.sorted()
                }
            }
            return lines.joined(separator: "\n")
        }) ?? ""
    }

    /// Applies one operation; returns an errno on failure.
    private static func apply(_ op: Batch.Operation, to tables: inout [Table: TableState]) -> Int32? {
        switch op {
        case let .addTable(t):
            if tables[t] == nil { tables[t] = TableState() }
        case let .deleteTable(t):
            if tables.removeValue(forKey: t) == nil { return ENOENT }
        case let .flushTable(t):
            guard var s = tables[t] else { return ENOENT }
            for k in s.chains.keys { s.chains[k]!.rules = [] }
            tables[t] = s
        case let .addChain(c):
            guard tables[c.table] != nil else { return ENOENT }
            if let old = tables[c.table]!.chains[c.name] {
                if old.chain.base != c.base { return EEXIST }
            } else {
                tables[c.table]!.chains[c.name] = (c, [])
            }
        case let .deleteChain(c):
            guard tables[c.table]?.chains[c.name] != nil else { return ENOENT }
            tables[c.table]!.chains[c.name] = nil
        case let .flushChain(c):
            guard tables[c.table]?.chains[c.name] != nil else { return ENOENT }
            tables[c.table]!.chains[c.name]!.rules = []
        case let .addRule(r):
            guard let t = tables[r.chain.table], t.chains[r.chain.name] != nil else { return ENOENT }
            for e in r.expressions {
                switch e {
                case let .lookup(set, _, _), let .verdictMap(set, _), let .dynsetUpdate(set, _, _),
                     let .mapLookup(set, _, _), let .dynsetUpdateMap(set, _, _, _):
                    if t.sets[set] == nil { return ENOENT }
                case let .verdict(v): if let c = v.chain, t.chains[c] == nil { return ENOENT }
                default: break
                }
            }
            tables[r.chain.table]!.chains[r.chain.name]!.rules.append(r.expressions)
        case let .addSet(s):
            guard tables[s.table] != nil else { return ENOENT }
            if let old = tables[s.table]!.sets[s.name] {
                if old.set != s { return EEXIST }
            } else {
                tables[s.table]!.sets[s.name] = (s, [:])
            }
        case let .deleteSet(s):
            guard tables[s.table]?.sets[s.name] != nil else { return ENOENT }
            tables[s.table]!.sets[s.name] = nil
        case let .flushSet(s):
            guard tables[s.table]?.sets[s.name] != nil else { return ENOENT }
            tables[s.table]!.sets[s.name]!.elements = [:]
        case let .addElements(s, es):
            guard tables[s.table]?.sets[s.name] != nil else { return ENOENT }
            for e in es where tables[s.table]!.sets[s.name]!.elements[e.fields] == nil {
                tables[s.table]!.sets[s.name]!.elements[e.fields] = e
            }
        case let .deleteElements(s, es), let .destroyElements(s, es):
            guard tables[s.table]?.sets[s.name] != nil else { return ENOENT }
            let strict = if case .deleteElements = op { true } else { false }
            for e in es {
                if tables[s.table]!.sets[s.name]!.elements.removeValue(forKey: e.fields) == nil && strict {
                    return ENOENT
                }
            }
        }
        return nil
    }
}
