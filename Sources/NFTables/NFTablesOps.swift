/// The narrow interface through which controllers change nftables: one atomic batch, plus
/// the reads a reconciler needs. `NFTablesConnection` talks to the kernel;
/// `NFTablesFake` keeps the state in memory for pure tests.
public protocol NFTablesOps: AnyObject, Sendable {
    /// Applies every operation or none.
    func apply(_ batch: Batch) throws(NFTablesError)
    /// Whether the table exists.
    func tableExists(_ table: Table) throws(NFTablesError) -> Bool
    /// The elements of a set; ENOENT when the set does not exist.
    func elements(of set: NFTSet) throws(NFTablesError) -> [SetElement]
}

extension NFTablesConnection: NFTablesOps {}
