/// A chain in a table; a base chain when `base` is set (attached to a netfilter hook).
/// Equivalent to `nft add chain FAMILY TABLE NAME { type T hook H priority P; policy X; }`.
public struct Chain: Hashable, Sendable, CustomStringConvertible {
    public var table: Table
    public var name: String
    public var base: BaseChain?

    public init(table: Table, name: String, base: BaseChain? = nil) {
        self.table = table
        self.name = name
        self.base = base
    }

    public var description: String { "\(table) \(name)" }
}

/// The hook attachment of a base chain.
public struct BaseChain: Hashable, Sendable {
    public var type: ChainType
    public var hook: ChainHook
    public var priority: Int32
    /// The verdict for packets that fall off the end; `nil` keeps the kernel default (accept).
    public var policy: ChainPolicy?

    public init(type: ChainType, hook: ChainHook, priority: Int32, policy: ChainPolicy? = nil) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }

    /// Well-known priorities (`nft` names).
    public static let priorityRaw: Int32 = -300
    public static let priorityMangle: Int32 = -150
    public static let priorityDstNAT: Int32 = -100
    public static let priorityFilter: Int32 = 0
    public static let prioritySecurity: Int32 = 50
    public static let prioritySrcNAT: Int32 = 100
    /// Bridge family filter priority.
    public static let priorityBridgeFilter: Int32 = -200
}

/// Chain types. Raw values are the kernel's type names.
public enum ChainType: String, Hashable, Sendable {
    case filter, nat, route
}

/// Netfilter hooks. Raw values are `NF_INET_*` (ingress is `NF_NETDEV_INGRESS` = 0 in netdev).
public enum ChainHook: UInt32, Hashable, Sendable {
    case prerouting = 0, input = 1, forward = 2, output = 3, postrouting = 4
}

/// Base chain policies. Raw values are `NF_DROP` / `NF_ACCEPT`.
public enum ChainPolicy: UInt32, Hashable, Sendable {
    case drop = 0, accept = 1
}

extension ChainHook: CustomStringConvertible {
    public var description: String {
        switch self {
        case .prerouting: "prerouting"
        case .input: "input"
        case .forward: "forward"
        case .output: "output"
        case .postrouting: "postrouting"
        }
    }
}

extension ChainPolicy: CustomStringConvertible {
    public var description: String { self == .drop ? "drop" : "accept" }
}
