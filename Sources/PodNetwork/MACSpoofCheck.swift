import NetAddr
import NetNS
import NFTables

/// The bridge plugin's `macspoofchk`: frames a pod sends must carry the pod's MAC. One fixed
/// bridge-family table; a pod ADD/DEL only adds/removes set elements.
///
/// ```
/// table bridge trellis_cni_spoof {
///   set ifaces { type ifname }                       # guarded host-side veths
///   set allowed { type ifname . ether_addr }         # veth . the pod's MAC
///   chain prerouting { type filter hook prerouting priority -300;
///     iifname @ifaces iifname . ether saddr != @allowed drop } }
/// ```
/// Element comments are `OWNER NETWORK` (owner is `containerID/ifname`) so DEL and a GC of
/// one network find exactly their entries.
public struct MACSpoofCheck: Sendable, PodRuleSet {
    /// One guarded interface.
    public struct Entry: Hashable, Sendable, Comparable, CustomStringConvertible, PodRuleEntry {
        public var hostInterface: String
        public var mac: MACAddress
        public var network: String
        public var owner: String

        public init(hostInterface: String, mac: MACAddress, network: String = "-", owner: String) {
            self.hostInterface = hostInterface
            self.mac = mac
            self.network = network
            self.owner = owner
        }

        public var description: String { "\(hostInterface) \(mac) \(network) \(owner)" }
        public static func < (l: Self, r: Self) -> Bool { (l.owner, l.hostInterface) < (r.owner, r.hostInterface) }
    }

    public static let table = Table(.bridge, "trellis_cni_spoof")
    // Same priority as the reference macspoofchk: before any other bridge filtering.
    public static let chain = Chain(table: table, name: "prerouting",
                                    base: BaseChain(type: .filter, hook: .prerouting, priority: -300))
    static let ifaces = NFTSet(table: table, name: "ifaces", key: [.ifname])
    static let allowed = NFTSet(table: table, name: "allowed", key: [.ifname, .etherAddress])

    public let nft: any NFTablesOps

    /// Uses the calling thread's network namespace.
    public init() throws { nft = try NFTablesConnection() }
    /// Uses `netns` (e.g. a simulated node).
    public init(netns: NetNS) throws { nft = try NFTablesConnection(in: netns) }
    /// Uses any nftables implementation (e.g. `NFTablesFake` in tests).
    public init(_ nft: any NFTablesOps) { self.nft = nft }

    // MARK: - Pure plans

    /// The table, chain, sets and the one rule; safe to send again (see `PodMasquerade.setup`).
    public static func setup() -> Batch {
        var b = Batch()
        b.addTable(table)
        b.addChain(chain)
        b.addSet(ifaces)
        b.addSet(allowed)
        b.flushChain(chain)
        let mac = Register.r0.advanced(byBytes: 16)  // after the 16-byte ifname
        b.addRule(chain, [
            .meta(.iifname), .lookup(set: ifaces.name),
            .meta(.iifname), .payload(.etherSource, register: mac), .lookup(set: allowed.name, invert: true),
            .verdict(.drop),
        ])
        return b
    }

    static func elements(_ e: Entry) -> [(NFTSet, SetElement)] {
        let comment = "\(e.owner) \(e.network)"
        return [(ifaces, SetElement([.ifname(e.hostInterface)], comment: comment)),
                (allowed, SetElement([.ifname(e.hostInterface), .ether(e.mac)], comment: comment))]
    }

    // MARK: - Apply

    /// Drops frames from `hostInterface` (the host end of the pod's veth) whose source MAC is
    /// not `mac`. Idempotent; replaces an older entry for the same interface.
    public func add(hostInterface: String, mac: MACAddress, network: String = "-", owner: String) throws {
        let entry = Entry(hostInterface: hostInterface, mac: mac, network: network, owner: owner)
        try PodMasquerade.validate(network: network, owner: owner)
        let existing = try list()
        var b = existing == nil ? Self.setup() : Batch()
        let stale = (existing ?? []).filter { $0.hostInterface == hostInterface && $0 != entry }
        b.append(contentsOf: Self.removal(stale))
        for (set, element) in Self.elements(entry) { b.addElements(set, [element]) }
        try nft.apply(b)
    }

    /// Every guarded interface, or `nil` when the table does not exist.
    public func list() throws -> [Entry]? {
        guard try nft.tableExists(Self.table) else { return nil }
        return try nft.elements(of: Self.allowed).compactMap { e -> Entry? in
            guard e.fields.count == 2, case let .ifname(name) = e.fields[0], case let .ether(mac) = e.fields[1],
                  let words = e.comment?.split(separator: " ", maxSplits: 1), !words.isEmpty else { return nil }
            return Entry(hostInterface: name, mac: mac, network: words.count == 2 ? String(words[1]) : "-",
                         owner: String(words[0]))
        }.sorted()
    }


    public static func removal(_ entries: [Entry]) -> Batch {
        var b = Batch()
        for e in entries {
            for (set, element) in elements(e) { b.destroyElements(set, [SetElement(element.fields)]) }
        }
        return b
    }
}
