import CNI

/// Where allocations live, per network name. The allocator never sees files: it runs inside
/// `update`, which makes each read–modify–write atomic and all-or-nothing.
public protocol Store: Sendable {
    /// The current state of `network`; empty if nothing was ever stored.
    func load(network: String) throws(CNIError) -> AllocationState

    /// Runs `body` on the latest state of `network` while holding the store's exclusive lock,
    /// then saves the changed state atomically. When `body` throws nothing is saved.
    func update<T>(network: String, _ body: (inout AllocationState) throws(CNIError) -> T) throws(CNIError) -> T

    /// Throws code 50 (`notAvailable`) naming the problem when `network` cannot be written.
    func checkWritable(network: String) throws(CNIError)
}
