import KubeAPI

/// Node lifecycle, as a pure function: from a Node, its heartbeat Lease and the time, whether
/// the node is healthy, the Ready condition and taints it should carry, and — for a node that
/// has been unreachable — which of its pods are past their toleration and must be evicted.
///
/// A node whose kubelet has not renewed its Lease (nor posted status) within `gracePeriod`
/// (40 s, as kube-controller-manager) gets Ready=Unknown and the taints
/// `node.kubernetes.io/unreachable` NoSchedule and NoExecute. Pods on it are evicted once the
/// NoExecute taint is older than their toleration of it (`tolerationSeconds`, default
/// `defaultEvictionTimeout`: the 300 s that DefaultTolerationSeconds gives every pod).
public struct NodeLifecycle: Sendable {
    public static let unreachable = "node.kubernetes.io/unreachable"
    public static let notReady = "node.kubernetes.io/not-ready"

    public var gracePeriod: Int64
    public var defaultEvictionTimeout: Int64

    public init(gracePeriod: Int64 = 40, defaultEvictionTimeout: Int64 = 300) {
        self.gracePeriod = gracePeriod
        self.defaultEvictionTimeout = defaultEvictionTimeout
    }

    public struct Decision: Sendable, Equatable {
        /// The node as it should be (conditions and taints); nil when nothing changes.
        public var node: Node?
        /// Pods (names) to evict now.
        public var evict: [String] = []
    }

    /// The last sign of life: the Lease's renewTime, else the Ready condition's heartbeat.
    static func lastHeartbeat(_ node: Node, _ lease: Lease?) -> Int64? {
        let fromLease = lease?.spec?.renewTime.map { $0.microsecondsSince1970 / 1_000_000 }
        let fromStatus = node.status?.conditions?.first { $0.type == "Ready" }?.lastHeartbeatTime?.secondsSince1970
        switch (fromLease, fromStatus) {
        case let (a?, b?): return max(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        default: return nil
        }
    }

    public func decide(_ node: Node, lease: Lease?, pods: [Pod], now: Time, firstSeen: Time? = nil) -> Decision {
        // A node never heard from counts from when the controller first saw it.
        let heartbeat = Self.lastHeartbeat(node, lease) ?? firstSeen?.secondsSince1970 ?? now.secondsSince1970
        let healthy = now.secondsSince1970 - heartbeat <= gracePeriod
        var updated = node
        var status = updated.status ?? NodeStatus()
        var spec = updated.spec ?? NodeSpec()
        var taints = spec.taints ?? []
        var conditions = status.conditions ?? []
        if healthy {
            taints.removeAll { $0.key == Self.unreachable }
        } else {
            if let i = conditions.firstIndex(where: { $0.type == "Ready" }) {
                if conditions[i].status != "Unknown" {
                    conditions[i].status = "Unknown"
                    conditions[i].reason = "NodeStatusUnknown"
                    conditions[i].message = "Kubelet stopped posting node status."
                    conditions[i].lastTransitionTime = now
                }
            } else {
                var ready = NodeCondition()
                ready.type = "Ready"
                ready.status = "Unknown"
                ready.reason = "NodeStatusNeverUpdated"
                ready.message = "Kubelet never posted node status."
                ready.lastTransitionTime = now
                conditions.append(ready)
            }
            for effect in ["NoSchedule", "NoExecute"] where !taints.contains(where: { $0.key == Self.unreachable && $0.effect == effect }) {
                var taint = Taint(key: Self.unreachable, effect: effect)
                taint.timeAdded = now
                taints.append(taint)
            }
        }
        if taints != (node.spec?.taints ?? []) {
            spec.taints = taints.isEmpty ? nil : taints
            updated.spec = spec
        }
        if conditions != (node.status?.conditions ?? []) {
            status.conditions = conditions
            updated.status = status
        }
        var decision = Decision(node: updated == node ? nil : updated)
        // Eviction: pods whose toleration of the NoExecute taint has run out.
        if let taint = taints.first(where: { $0.key == Self.unreachable && $0.effect == "NoExecute" }) {
            let since = taint.timeAdded?.secondsSince1970 ?? now.secondsSince1970
            for pod in pods where pod.metadata.deletionTimestamp == nil {
                let tolerations = (pod.spec?.tolerations ?? []).filter { $0.tolerates(taint) }
                let limit: Int64?
                if tolerations.isEmpty {
                    limit = defaultEvictionTimeout
                } else if tolerations.contains(where: { $0.tolerationSeconds == nil }) {
                    limit = nil  // tolerates forever
                } else {
                    limit = tolerations.compactMap(\.tolerationSeconds).max()
                }
                if let limit, now.secondsSince1970 - since >= limit { decision.evict.append(pod.name) }
            }
        }
        return decision
    }
}
