import NetAddr
import NetNS
import NFTables

/// The bridge plugin's `ipMasq`: source NAT for traffic leaving a pod's network, as ONE
/// fixed nftables table whose sets hold the pods. A pod ADD/DEL only adds/removes set
/// elements; no per-pod chains or rules (unlike the reference plugin's per-pod iptables chains).
///
/// ```
/// table inet trellis_cni {
///   set masq4 { type ipv4_addr }                          # pod IPs to masquerade
///   set nomasq4 { type ipv4_addr . ipv4_addr; flags interval }  # pod IP . its subnet
///   (and masq6 / nomasq6)
///   chain postrouting { type nat hook postrouting priority srcnat;
///     ip saddr . ip daddr @nomasq4 accept      # pod -> own subnet: keep the pod address
///     ip daddr 224.0.0.0/4 accept              # never masquerade multicast
///     ip saddr @masq4 masquerade
///     (the same for ip6, with ff00::/8) } }
/// ```
/// Element comments are `OWNER NETWORK` (owner is `containerID/ifname`) so DEL and GC find
/// them. Works in the namespace the connection was opened in (the node's).
public struct PodMasquerade: Sendable, PodRuleSet {
    /// One masqueraded pod address.
    public struct Entry: Hashable, Sendable, Comparable, CustomStringConvertible, PodRuleEntry {
        public var address: IPAddress
        public var subnet: IPPrefix
        public var network: String
        public var owner: String

        public init(address: IPAddress, subnet: IPPrefix, network: String, owner: String) {
            self.address = address
            self.subnet = subnet
            self.network = network
            self.owner = owner
        }

        public var description: String { "\(address) \(subnet) \(network) \(owner)" }
        public static func < (l: Self, r: Self) -> Bool { (l.owner, l.address) < (r.owner, r.address) }
    }

    public static let table = Table(.inet, "trellis_cni")
    public static let chain = Chain(table: table, name: "postrouting",
                                    base: BaseChain(type: .nat, hook: .postrouting, priority: BaseChain.prioritySrcNAT))
    static let masq4 = NFTSet(table: table, name: "masq4", key: [.ipv4Address])
    static let masq6 = NFTSet(table: table, name: "masq6", key: [.ipv6Address])
    static let nomasq4 = NFTSet(table: table, name: "nomasq4", key: [.ipv4Address, .ipv4Address], flags: .interval)
    static let nomasq6 = NFTSet(table: table, name: "nomasq6", key: [.ipv6Address, .ipv6Address], flags: .interval)

    public let nft: any NFTablesOps

    /// Uses the calling thread's network namespace.
    public init() throws { nft = try NFTablesConnection() }
    /// Uses `netns` (e.g. a simulated node).
    public init(netns: NetNS) throws { nft = try NFTablesConnection(in: netns) }
    /// Uses any nftables implementation (e.g. `NFTablesFake` in tests).
    public init(_ nft: any NFTablesOps) { self.nft = nft }

    // MARK: - Pure plans

    /// The table, chain, sets and fixed rules. Safe to send again: NEWTABLE/NEWCHAIN/NEWSET
    /// go without NLM_F_EXCL and the chain is flushed before its rules are re-added, all in
    /// one transaction, so racing plugin processes converge on the same ruleset.
    public static func setup() -> Batch {
        var b = Batch()
        b.addTable(table)
        b.addChain(chain)
        for s in [masq4, masq6, nomasq4, nomasq6] { b.addSet(s) }
        b.flushChain(chain)
        for family in [IPFamily.v4, .v6] {
            let (masq, nomasq, multicast) = family == .v4
                ? (masq4, nomasq4, IPPrefix("224.0.0.0/4")!) : (masq6, nomasq6, IPPrefix("ff00::/8")!)
            let src = AddressField.source.payloadField(family), dst = AddressField.destination.payloadField(family)
            let second = Register.r0.advanced(byBytes: family == .v4 ? 4 : 16)
            b.addRule(chain, Expression.nfproto(family) + [
                .payload(src), .payload(dst, register: second), .lookup(set: nomasq.name), .verdict(.accept)])
            b.addRule(chain, Expression.nfproto(family) + Expression.address(.destination, in: multicast) + [.verdict(.accept)])
            b.addRule(chain, Expression.nfproto(family) + [.payload(src), .lookup(set: masq.name), .masquerade])
        }
        return b
    }

    /// The set elements for one pod's addresses (host address + subnet from each prefix).
    public static func elements(addresses: [IPPrefix], network: String, owner: String) -> Batch {
        var b = Batch()
        for p in addresses {
            let comment = "\(owner) \(network)"
            let v4 = p.family == .v4
            b.addElements(v4 ? masq4 : masq6, [SetElement([.address(p.address)], comment: comment)])
            b.addElements(v4 ? nomasq4 : nomasq6,
                          [SetElement([.address(p.address), .prefix(p.network)], comment: comment)])
        }
        return b
    }

    /// Deletions (missing elements ignored) for existing entries.
    public static func removal(_ entries: [Entry]) -> Batch {
        var b = Batch()
        for e in entries {
            let v4 = e.address.family == .v4
            b.destroyElements(v4 ? masq4 : masq6, [SetElement([.address(e.address)])])
            b.destroyElements(v4 ? nomasq4 : nomasq6, [SetElement([.address(e.address), .prefix(e.subnet)])])
        }
        return b
    }

    // MARK: - Apply

    /// Masquerades traffic from `addresses` (pod address with its network's prefix length)
    /// leaving their subnets. Creates the table on first use in the same transaction.
    /// Idempotent; an address still held by another owner (a missed DEL) is taken over.
    public func add(addresses: [IPPrefix], network: String, owner: String) throws {
        try Self.validate(network: network, owner: owner)
        let existing = try list()
        var b = existing == nil ? Self.setup() : Batch()
        let mine = Set(addresses.map(\.address))
        let stale = (existing ?? []).filter {
            mine.contains($0.address) && ($0.owner != owner || $0.network != network
                || !addresses.contains(IPPrefix(address: $0.address, length: $0.subnet.length)))
        }
        b.append(contentsOf: Self.removal(stale))
        b.append(contentsOf: Self.elements(addresses: addresses, network: network, owner: owner))
        try nft.apply(b)
    }

    /// Every masqueraded pod address, or `nil` when the table does not exist.
    public func list() throws -> [Entry]? {
        guard try nft.tableExists(Self.table) else { return nil }
        var out: [Entry] = []
        for set in [Self.nomasq4, Self.nomasq6] {
            for e in try nft.elements(of: set) {
                guard e.fields.count == 2, case let .address(a) = e.fields[0],
                      let subnet = Self.prefix(e.fields[1]),
                      let words = e.comment?.split(separator: " ", maxSplits: 1), words.count == 2
                else { continue }
                out.append(Entry(address: a, subnet: subnet, network: String(words[1]), owner: String(words[0])))
            }
        }
        return out.sorted()
    }


    // MARK: - Private

    private static func prefix(_ f: ElementField) -> IPPrefix? {
        switch f {
        case let .prefix(p): p
        case let .address(a): IPPrefix(host: a)
        default: nil
        }
    }

    static func validate(network: String, owner: String) throws {
        func ok(_ s: String) -> Bool { !s.isEmpty && !s.utf8.contains { $0 <= 0x20 || $0 >= 0x7f } }
        guard ok(network), ok(owner), owner.utf8.count + network.utf8.count < 250 else {
            throw NFTablesError("validate", "owner \"\(owner)\" network \"\(network)\"", errno: 22)
        }
    }
}

extension AddressField {
    func payloadField(_ family: IPFamily) -> PayloadField {
        switch (self, family) {
        case (.source, .v4): .ipSource
        case (.destination, .v4): .ipDestination
        case (.source, .v6): .ip6Source
        case (.destination, .v6): .ip6Destination
        }
    }
}
