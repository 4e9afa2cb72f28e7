import NetAddr

/// A kernel backend that renders `ProxyPlan`s (nftables today; iptables, IPVS and eBPF later).
/// The behaviour matrix and the proxier drive every backend through this protocol.
public protocol ProxyBackend: AnyObject, Sendable {
    /// Makes the kernel match `plans`. `changed` names the Service ports whose plans may
    /// differ from the last sync (in either family); nil compares everything. `full` rewrites
    /// every object and removes anything foreign. Atomic: a failure leaves the previous rules
    /// in place, and the next sync is then full.
    func sync(_ plans: ProxyPlanSet, changed: Set<ServicePortName>?, full: Bool) throws -> SyncStats
    /// Removes everything the backend installed.
    func cleanup() throws
}

/// What a sync did.
public struct SyncStats: Hashable, Sendable, CustomStringConvertible {
    public var full: Bool
    /// Service ports whose objects were written or removed.
    public var servicePortsChanged: Int
    /// Batch operations sent to the kernel (all families).
    public var operations: Int
    /// Seconds spent in the kernel transaction (encoding, sending, waiting for the ACKs).
    public var applySeconds: Double = 0

    public init(full: Bool, servicePortsChanged: Int = 0, operations: Int = 0) {
        self.full = full
        self.servicePortsChanged = servicePortsChanged
        self.operations = operations
    }

    public var description: String {
        "\(full ? "full" : "partial") sync: \(servicePortsChanged) service ports changed, \(operations) operations, "
            + "apply \(Int(applySeconds * 1e6)) µs"
    }
}
