/// An nftables address family. Raw values are the kernel's `NFPROTO_*`.
public enum TableFamily: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case inet = 1
    case ip = 2
    case arp = 3
    case netdev = 5
    case bridge = 7
    case ip6 = 10

    /// The name `nft` uses (`inet`, `ip6`, …).
    public var description: String {
        switch self {
        case .inet: "inet"
        case .ip: "ip"
        case .arp: "arp"
        case .netdev: "netdev"
        case .bridge: "bridge"
        case .ip6: "ip6"
        }
    }
}

/// A table: a family and a name. Equivalent to `nft add table FAMILY NAME`.
public struct Table: Hashable, Sendable, CustomStringConvertible {
    public var family: TableFamily
    public var name: String

    public init(_ family: TableFamily, _ name: String) {
        self.family = family
        self.name = name
    }

    public var description: String { "\(family) \(name)" }
}
