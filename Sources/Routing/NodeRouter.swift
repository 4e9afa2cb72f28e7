#if canImport(Glibc)
import Glibc
#endif
import KubeAPI
import NetAddr
import Netlink

/// The core of `trellis routing`: keeps the Node objects it is told about (from an informer's
/// add/update/delete handlers or a fixture file), plans, and reconciles the kernel.
///
/// Every event triggers a full pass (level-triggered); call `resync()` periodically as well
/// so that a hand-deleted route comes back even when no Node changes. Thread-safe: passes
/// are serialised by a lock.
public final class NodeRouter: @unchecked Sendable {
    public let config: RoutingConfig
    public let reconciler: RoutingReconciler
    /// The uplink's name, or nil to find the interface holding the node IP.
    public let iface: String?
    /// This node's VTEP MAC: stable across restarts (derived from node name and VNI).
    public let vtepMAC: MACAddress
    private let publish: @Sendable ([String: String]) -> Void
    private let onPass: @Sendable (PassResult) -> Void
    private let lock = RoutingLock()
    private var nodes: [String: NodeInfo] = [:]
    private var published: [String: String]?
    private var stopped = false

    /// The outcome of one pass.
    public struct PassResult: Sendable {
        /// nil when this node could not be planned (see `error`).
        public var plan: RoutingPlan?
        public var report: ReconcileReport
        public var error: RoutingError?
    }

    /// - Parameters:
    ///   - publish: called with the annotations peers need from this node (VTEP MAC, public IP,
    ///     VNI) whenever they differ from this node's current ones; the caller patches the Node.
    ///   - onPass: called after every pass (logging, the subnet file for the CNI plugins).
    public init(config: RoutingConfig, kernel: any RoutingKernel, iface: String? = nil,
                publish: @escaping @Sendable ([String: String]) -> Void = { _ in },
                onPass: @escaping @Sendable (PassResult) -> Void = { _ in }) {
        self.config = config
        self.reconciler = RoutingReconciler(kernel: kernel, config: config)
        self.iface = iface
        self.vtepMAC = Self.vtepMAC(nodeName: config.nodeName, vni: config.vni)
        self.publish = publish
        self.onPass = onPass
    }

    /// The MAC `trellis routing` gives the VTEP of `nodeName`.
    public static func vtepMAC(nodeName: String, vni: UInt32) -> MACAddress {
        MACAddress.local(seed: Array("trellis-vtep/\(nodeName)/\(vni)".utf8))
    }

    // MARK: Events

    /// A Node was added or changed.
    @discardableResult
    public func upsert(_ node: Node) -> PassResult {
        lock.withLock {
            let info = NodeInfo(node)
            if info.name == config.nodeName { published = node.metadata.annotations ?? [:] }
            nodes[info.name] = info
            return pass()
        }
    }

    /// A Node was deleted.
    @discardableResult
    public func delete(nodeNamed name: String) -> PassResult {
        lock.withLock {
            nodes[name] = nil
            return pass()
        }
    }

    /// Replaces the whole set (a relist, or a fixture file re-read).
    @discardableResult
    public func replaceAll(_ all: [Node]) -> PassResult {
        lock.withLock {
            nodes = [:]
            for n in all {
                let info = NodeInfo(n)
                if info.name == config.nodeName { published = n.metadata.annotations ?? [:] }
                nodes[info.name] = info
            }
            return pass()
        }
    }

    /// Re-plans and re-applies with the Nodes already known.
    @discardableResult
    public func resync() -> PassResult { lock.withLock { pass() } }

    /// Removes every route, neighbour, FDB entry and the VTEP this daemon owns, and turns
    /// later passes into no-ops (so a pass racing with shutdown cannot put them back).
    @discardableResult
    public func teardown() -> ReconcileReport {
        lock.withLock {
            stopped = true
            return reconciler.removeAll()
        }
    }

    // MARK: Pass

    private func pass() -> PassResult {
        var result = PassResult(plan: nil, report: ReconcileReport(), error: nil)
        if stopped {
            result.error = RoutingError("plan", "node \(config.nodeName)", "stopped")
            return result
        }
        defer { onPass(result) }
        guard let local = nodes[config.nodeName] else {
            result.error = RoutingError("plan", "node \(config.nodeName)", "this node's Node object is not known yet")
            return result
        }
        do throws(RoutingError) {
            let uplink = try Uplink.discover(reconciler.kernel, nodeIPs: local.publicIPs, name: iface)
            let plan = try RoutePlanner.plan(config: config, uplink: uplink, local: local, vtepMAC: vtepMAC,
                                             peers: Array(nodes.values))
            result.plan = plan
            result.report = reconciler.apply(plan)
            publishIfChanged(plan)
        } catch {
            result.error = error
        }
        return result
    }

    private func publishIfChanged(_ plan: RoutingPlan) {
        var wanted: [String: String] = [:]
        if let vtep = plan.vtep {
            wanted[NodeAnnotation.vtepMAC] = vtep.mac.description
            wanted[NodeAnnotation.vni] = String(vtep.vni)
            wanted[vtep.local.isIPv4 ? NodeAnnotation.publicIP : NodeAnnotation.publicIPv6] = vtep.local.description
        }
        guard !wanted.isEmpty else { return }
        let current = published ?? [:]
        if wanted.contains(where: { current[$0.key] != $0.value }) {
            published = current.merging(wanted) { $1 }
            publish(wanted)
        }
    }
}

/// A pthread mutex (the module has no Foundation).
final class RoutingLock: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        m = .allocate(capacity: 1)
        m.initialize(to: pthread_mutex_t())
        pthread_mutex_init(m, nil)
    }
    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}
