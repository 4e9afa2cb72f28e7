import NFTables

/// An entry of a per-pod nftables rule set, tagged with who added it and for which network.
public protocol PodRuleEntry: Sendable {
    var owner: String { get }
    var network: String { get }
}

/// A fixed nftables table whose sets hold one entry per pod (`PodMasquerade`,
/// `MACSpoofCheck`): the verbs every such rule set shares.
public protocol PodRuleSet {
    associatedtype Entry: PodRuleEntry
    static var table: Table { get }
    var nft: any NFTablesOps { get }
    /// Every entry, or nil when the table does not exist.
    func list() throws -> [Entry]?
    /// One batch deleting `entries` (idempotent: destroy, not delete).
    static func removal(_ entries: [Entry]) -> Batch
}

extension PodRuleSet {
    /// Removes everything `owner` added. Idempotent.
    public func remove(owner: String) throws {
        try nft.apply(Self.removal((try list() ?? []).filter { $0.owner == owner }))
    }

    /// Removes every entry whose owner is not in `validOwners`; returns what it removed.
    @discardableResult
    public func gc(validOwners: Set<String>) throws -> [Entry] {
        try gc(where: { !validOwners.contains($0.owner) })
    }

    /// GC for one network (CNI GC is per network): removes that network's entries whose owner
    /// is not in `validOwners`, leaving other networks' pods alone.
    @discardableResult
    public func gc(network: String, validOwners: Set<String>) throws -> [Entry] {
        try gc(where: { $0.network == network && !validOwners.contains($0.owner) })
    }

    private func gc(where isStale: (Entry) -> Bool) throws -> [Entry] {
        let stale = (try list() ?? []).filter(isStale)
        try nft.apply(Self.removal(stale))
        return stale
    }

    /// Removes the whole table (all pods). Idempotent.
    public func uninstall() throws {
        guard try nft.tableExists(Self.table) else { return }
        try nft.apply(Batch([.deleteTable(Self.table)]))
    }
}
