/// An ordered list of nftables changes, applied as ONE nfnetlink transaction: the kernel
/// commits all of them or none. Fill it, then hand it to `NFTablesConnection.apply(_:)`.
///
/// `add*` operations are sent without `NLM_F_EXCL`, so adding a table, chain or set that
/// already exists (with the same properties) succeeds; rules are always appended, so re-create
/// a chain's fixed rules with `flushChain` + `addRule` in one batch.
public struct Batch: Hashable, Sendable, CustomStringConvertible {
    public private(set) var operations: [Operation] = []

    public init() {}

    public init(_ operations: [Operation]) { self.operations = operations }

    public var isEmpty: Bool { operations.isEmpty }

    public mutating func append(_ op: Operation) { operations.append(op) }
    public mutating func append(contentsOf other: Batch) { operations += other.operations }

    /// `nft add table`.
    public mutating func addTable(_ t: Table) { append(.addTable(t)) }
    /// `nft delete table`; fails with ENOENT when the table does not exist.
    public mutating func deleteTable(_ t: Table) { append(.deleteTable(t)) }
    /// `nft flush table`: removes every rule of every chain in the table (sets keep their elements).
    public mutating func flushTable(_ t: Table) { append(.flushTable(t)) }
    /// `nft add chain`.
    public mutating func addChain(_ c: Chain) { append(.addChain(c)) }
    /// `nft delete chain`.
    public mutating func deleteChain(_ c: Chain) { append(.deleteChain(c)) }
    /// `nft flush chain`.
    public mutating func flushChain(_ c: Chain) { append(.flushChain(c)) }
    /// `nft add rule` (appends).
    public mutating func addRule(_ chain: Chain, _ expressions: [Expression]) {
        append(.addRule(Rule(chain: chain, expressions: expressions)))
    }
    /// `nft add set` / `nft add map`.
    public mutating func addSet(_ s: NFTSet) { append(.addSet(s)) }
    /// `nft delete set`.
    public mutating func deleteSet(_ s: NFTSet) { append(.deleteSet(s)) }
    /// `nft flush set`.
    public mutating func flushSet(_ s: NFTSet) { append(.flushSet(s)) }
    /// `nft add element`; an element that already exists is not an error.
    public mutating func addElements(_ s: NFTSet, _ elements: [SetElement]) {
        append(.addElements(s, elements))
    }
    /// `nft delete element`; fails with ENOENT when an element is missing.
    public mutating func deleteElements(_ s: NFTSet, _ elements: [SetElement]) {
        append(.deleteElements(s, elements))
    }
    /// `nft destroy element` (kernel 6.3+): deletes elements, ignoring missing ones.
    public mutating func destroyElements(_ s: NFTSet, _ elements: [SetElement]) {
        append(.destroyElements(s, elements))
    }

    /// One `nft -f` style line per operation.
    public var description: String {
        operations.map(\.description).joined(separator: "\n")
    }
}

/// A rule: expressions appended to a chain.
public struct Rule: Hashable, Sendable {
    public var chain: Chain
    public var expressions: [Expression]

    public init(chain: Chain, expressions: [Expression]) {
        self.chain = chain
        self.expressions = expressions
    }
}

extension Batch {
    /// One change in a `Batch`.
    public enum Operation: Hashable, Sendable, CustomStringConvertible {
        case addTable(Table)
        case deleteTable(Table)
        case flushTable(Table)
        case addChain(Chain)
        case deleteChain(Chain)
        case flushChain(Chain)
        case addRule(Rule)
        case addSet(NFTSet)
        case deleteSet(NFTSet)
        case flushSet(NFTSet)
        case addElements(NFTSet, [SetElement])
        case deleteElements(NFTSet, [SetElement])
        case destroyElements(NFTSet, [SetElement])

        /// The netlink message name (`NFT_MSG_NEWSETELEM`), as errors report it.
        public var messageName: String {
            switch self {
            case .addTable: "NFT_MSG_NEWTABLE"
            case .deleteTable: "NFT_MSG_DELTABLE"
            case .flushTable, .flushChain: "NFT_MSG_DELRULE"
            case .addChain: "NFT_MSG_NEWCHAIN"
            case .deleteChain: "NFT_MSG_DELCHAIN"
            case .addRule: "NFT_MSG_NEWRULE"
            case .addSet: "NFT_MSG_NEWSET"
            case .deleteSet: "NFT_MSG_DELSET"
            case .flushSet: "NFT_MSG_DELSETELEM"
            case .addElements: "NFT_MSG_NEWSETELEM"
            case .deleteElements: "NFT_MSG_DELSETELEM"
            case .destroyElements: "NFT_MSG_DESTROYSETELEM"
            }
        }

        /// The object the operation acts on (`inet trellis_cni masq4 10.1.0.5`).
        public var object: String {
            switch self {
            case let .addTable(t), let .deleteTable(t), let .flushTable(t): "\(t)"
            case let .addChain(c), let .deleteChain(c), let .flushChain(c): "\(c)"
            case let .addRule(r): "\(r.chain)"
            case let .addSet(s), let .deleteSet(s), let .flushSet(s): "\(s)"
            case let .addElements(s, e), let .deleteElements(s, e), let .destroyElements(s, e):
                "\(s) " + (e.count == 1 ? e[0].keyDescription : "{ \(e.map(\.keyDescription).joined(separator: ", ")) }")
            }
        }

        public var description: String {
            let verb: String
            switch self {
            case .addTable: verb = "add table"
            case .deleteTable: verb = "delete table"
            case .flushTable: verb = "flush table"
            case let .addChain(c):
                guard let b = c.base else { verb = "add chain"; break }
                return "add chain \(c) { type \(b.type.rawValue) hook \(b.hook) priority \(b.priority)"
                    + (b.policy.map { "; policy \($0)" } ?? "") + " }"
            case .deleteChain: verb = "delete chain"
            case .flushChain: verb = "flush chain"
            case let .addRule(r): return "add rule \(r.chain): \(r.expressions.map(\.description).joined(separator: "; "))"
            case let .addSet(s):
                return "add \(s.isVerdictMap || s.dataType != nil ? "map" : "set") \(s) { type \(s.key.map(\.rawValue).joined(separator: " . "))"
                    + (s.isVerdictMap ? " : verdict" : "")
                    + (s.dataType.map { " : " + $0.map(\.rawValue).joined(separator: " . ") } ?? "")
                    + (s.flags.isEmpty ? "" : "; flags \(s.flags)") + " }"
            case .deleteSet: verb = "delete set"
            case .flushSet: verb = "flush set"
            case let .addElements(s, e): return "add element \(s) { \(e.map(\.description).joined(separator: ", ")) }"
            case .deleteElements: verb = "delete element"
            case .destroyElements: verb = "destroy element"
            }
            return "\(verb) \(object)"
        }
    }
}
