import KubeAPI

/// The scheduler's decision for one pod, as a pure function over the nodes and the pods bound to
/// them: filter, score, pick; and when nothing fits, preemption of lower-priority pods.
///
/// Filters: node unschedulable and NotReady (as their taints), taints with NoSchedule/NoExecute
/// not tolerated, nodeSelector, required node affinity, CPU/memory/pods requests against
/// allocatable, hostPort conflicts, required pod affinity and anti-affinity (the incoming pod's
/// and the existing pods' anti-affinity). Scores (0–100 each, summed): least allocated, balanced
/// allocation, preferred node affinity, preferred pod (anti-)affinity. Ties go to the node with
/// fewer pods, then by name.
public struct SchedulingAlgorithm: Sendable {
    public init() {}

    /// A node and the (non-finished) pods bound to it.
    public struct NodeInfo: Sendable {
        public var node: Node
        public var pods: [Pod]
        public init(node: Node, pods: [Pod]) {
            self.node = node
            self.pods = pods
        }
    }

    public enum Decision: Sendable, Equatable {
        case bind(String)
        /// Preempt: evict `victims` (pod names, namespaced as "ns/name") on `node`, then retry.
        case preempt(node: String, victims: [String])
        /// Why each node was rejected ("0/3 nodes are available: ..." in Kubernetes' words).
        case unschedulable([String: String])
    }

    public func schedule(_ pod: Pod, on nodes: [NodeInfo], allPods: [Pod]? = nil) -> Decision {
        let everyPod = allPods ?? nodes.flatMap(\.pods)
        var reasons: [String: String] = [:]
        var feasible: [NodeInfo] = []
        for info in nodes {
            if let reason = rejection(pod, info, nodes: nodes, allPods: everyPod) {
                reasons[info.node.name] = reason
            } else {
                feasible.append(info)
            }
        }
        if !feasible.isEmpty {
            let best = feasible.max { a, b in
                let (sa, sb) = (score(pod, a, nodes: nodes), score(pod, b, nodes: nodes))
                if sa != sb { return sa < sb }
                if a.pods.count != b.pods.count { return a.pods.count > b.pods.count }
                return a.node.name > b.node.name
            }!
            return .bind(best.node.name)
        }
        if let preemption = preempt(pod, nodes: nodes, allPods: everyPod) { return preemption }
        return .unschedulable(reasons)
    }

    /// Kubernetes' summary line for an unschedulable pod.
    public static func message(_ reasons: [String: String], nodeCount: Int) -> String {
        var counts: [String: Int] = [:]
        for reason in reasons.values { counts[reason, default: 0] += 1 }
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        return "0/\(nodeCount) nodes are available: " + parts.joined(separator: ", ") + "."
    }

    // MARK: filters

    func rejection(_ pod: Pod, _ info: NodeInfo, nodes: [NodeInfo], allPods: [Pod]) -> String? {
        let node = info.node
        let spec = pod.spec ?? PodSpec()
        let tolerations = spec.tolerations ?? []
        for taint in Self.effectiveTaints(node) where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerations.contains(where: { $0.tolerates(taint) }) {
                return "node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"
            }
        }
        let labels = node.metadata.labels ?? [:]
        if let selector = spec.nodeSelector, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        if let required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
           !required.matches(labels: labels, fields: ["metadata.name": node.name]) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        if let reason = resourceRejection(pod, info, without: []) { return reason }
        if hostPortConflict(pod, info.pods) { return "node(s) didn't have free ports for the requested pod ports" }
        if let reason = podAffinityRejection(pod, info, nodes: nodes, allPods: allPods) { return reason }
        return nil
    }

    /// Taints plus the ones the node lifecycle controller would add for unschedulable / NotReady.
    static func effectiveTaints(_ node: Node) -> [Taint] {
        var taints = node.spec?.taints ?? []
        if node.spec?.unschedulable == true, !taints.contains(where: { $0.key == "node.kubernetes.io/unschedulable" }) {
            var t = Taint(); t.key = "node.kubernetes.io/unschedulable"; t.effect = "NoSchedule"
            taints.append(t)
        }
        if !node.isReady, !taints.contains(where: { $0.key == "node.kubernetes.io/not-ready" }) {
            var t = Taint(); t.key = "node.kubernetes.io/not-ready"; t.effect = "NoSchedule"
            taints.append(t)
        }
        return taints
    }

    func resourceRejection(_ pod: Pod, _ info: NodeInfo, without victims: Set<String>) -> String? {
        let allocatable = info.node.status?.allocatable ?? [:]
        let remaining = info.pods.filter { !victims.contains(Self.key($0)) }
        if let podLimit = allocatable["pods"], Int64(remaining.count + 1) > podLimit.value { return "Too many pods" }
        let requests = pod.spec?.effectiveRequests ?? [:]
        for (resource, wanted) in requests where !wanted.isZero {
            guard let capacity = allocatable[resource] else { return "Insufficient \(resource)" }
            let used = remaining.reduce(Int64(0)) { $0 + ($1.spec?.effectiveRequests[resource]?.milliValue ?? 0) }
            if used + wanted.milliValue > capacity.milliValue { return "Insufficient \(resource)" }
        }
        return nil
    }

    func hostPortConflict(_ pod: Pod, _ existing: [Pod]) -> Bool {
        let wanted = Self.hostPorts(pod)
        guard !wanted.isEmpty else { return false }
        for other in existing {
            for a in Self.hostPorts(other) {
                for b in wanted where a.port == b.port && a.proto == b.proto && (a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0") {
                    return true
                }
            }
        }
        return false
    }

    static func hostPorts(_ pod: Pod) -> [(port: Int32, proto: String, ip: String)] {
        (pod.spec?.containers ?? []).flatMap { $0.ports ?? [] }.compactMap { p in
            guard let hostPort = p.hostPort, hostPort > 0 else { return nil }
            return (hostPort, p.protocol ?? "TCP", (p.hostIP ?? "").isEmpty ? "0.0.0.0" : p.hostIP!)
        }
    }

    func podAffinityRejection(_ pod: Pod, _ info: NodeInfo, nodes: [NodeInfo], allPods: [Pod]) -> String? {
        let affinity = pod.spec?.affinity
        for term in affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [] {
            if matchingPods(term, of: pod, inDomainOf: info, nodes: nodes).contains(where: { _ in true }) {
                return "node(s) didn't match pod anti-affinity rules"
            }
        }
        for term in affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [] {
            let inDomain = !matchingPods(term, of: pod, inDomainOf: info, nodes: nodes).isEmpty
            // The first pod of a group may land anywhere its own labels would satisfy the term.
            let anyAnywhere = allPods.contains { Self.term(term, of: pod, selects: $0) }
            let selfMatch = Self.term(term, of: pod, selects: pod) && info.node.metadata.labels?[term.topologyKey] != nil
            if !inDomain && (anyAnywhere || !selfMatch) { return "node(s) didn't match pod affinity rules" }
        }
        // Existing pods whose anti-affinity rejects the incoming pod in their domain.
        for other in nodes {
            for existing in other.pods {
                for term in existing.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [] {
                    let key = term.topologyKey
                    guard let value = other.node.metadata.labels?[key], info.node.metadata.labels?[key] == value else { continue }
                    if Self.term(term, of: existing, selects: pod) { return "node(s) didn't satisfy existing pods anti-affinity rules" }
                }
            }
        }
        return nil
    }

    /// Pods on nodes in the same topology domain as `info` (by the term's topologyKey) that the term selects.
    func matchingPods(_ term: PodAffinityTerm, of pod: Pod, inDomainOf info: NodeInfo, nodes: [NodeInfo]) -> [Pod] {
        guard let value = info.node.metadata.labels?[term.topologyKey] else { return [] }
        return nodes.filter { $0.node.metadata.labels?[term.topologyKey] == value }
            .flatMap(\.pods).filter { Self.term(term, of: pod, selects: $0) }
    }

    /// Whether `term` (declared by `owner`) selects `candidate`: label selector plus namespaces
    /// (the owner's namespace when none are listed).
    static func term(_ term: PodAffinityTerm, of owner: Pod, selects candidate: Pod) -> Bool {
        let namespaces = term.namespaces?.isEmpty == false ? term.namespaces! : [owner.metadata.namespace ?? "default"]
        guard term.namespaceSelector != nil || namespaces.contains(candidate.metadata.namespace ?? "default") else { return false }
        guard let selector = term.labelSelector else { return false }
        return selector.matches(candidate.metadata.labels)
    }

    static func key(_ pod: Pod) -> String { "\(pod.metadata.namespace ?? "")/\(pod.name)" }

    // MARK: scores

    func score(_ pod: Pod, _ info: NodeInfo, nodes: [NodeInfo]) -> Int {
        let allocatable = info.node.status?.allocatable ?? [:]
        let requests = pod.spec?.effectiveRequests ?? [:]
        var fractions: [Double] = []
        for resource in ["cpu", "memory"] {
            guard let capacity = allocatable[resource]?.milliValue, capacity > 0 else { continue }
            // Pods without requests count as kube-scheduler's defaults (0.1 CPU, 200 MiB).
            let defaultRequest: Int64 = resource == "cpu" ? 100 : 200 * 1024 * 1024 * 1000
            let used = info.pods.reduce(Int64(0)) { $0 + ($1.spec?.effectiveRequests[resource]?.milliValue ?? defaultRequest) }
                + (requests[resource]?.milliValue ?? defaultRequest)
            fractions.append(min(1, Double(used) / Double(capacity)))
        }
        var total = 0
        if !fractions.isEmpty {
            total += Int((1 - fractions.reduce(0, +) / Double(fractions.count)) * 100)  // least allocated
            let spread = (fractions.max() ?? 0) - (fractions.min() ?? 0)
            total += Int((1 - spread) * 100)  // balanced allocation
        }
        let labels = info.node.metadata.labels ?? [:]
        let preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        let maxWeight = preferred.reduce(0) { $0 + Int($1.weight) }
        if maxWeight > 0 {
            let got = preferred.filter { $0.preference.matches(labels: labels, fields: ["metadata.name": info.node.name]) }
                .reduce(0) { $0 + Int($1.weight) }
            total += got * 100 / maxWeight
        }
        for weighted in pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
            where !matchingPods(weighted.podAffinityTerm, of: pod, inDomainOf: info, nodes: nodes).isEmpty {
            total += Int(weighted.weight)
        }
        for weighted in pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
            where !matchingPods(weighted.podAffinityTerm, of: pod, inDomainOf: info, nodes: nodes).isEmpty {
            total -= Int(weighted.weight)
        }
        return total
    }

    // MARK: preemption

    /// The node where evicting the fewest lower-priority pods (lowest priorities first) lets the
    /// pod fit by resources and host ports; nil when no such node exists or the pod may not preempt.
    func preempt(_ pod: Pod, nodes: [NodeInfo], allPods: [Pod]) -> Decision? {
        guard pod.spec?.preemptionPolicy != "Never" else { return nil }
        let priority = pod.spec?.priority ?? 0
        var best: (node: String, victims: [Pod])?
        for info in nodes {
            // Only resource and port problems can be fixed by eviction.
            var probe = info
            probe.pods = []
            guard rejection(pod, probe, nodes: nodes.map { $0.node.name == info.node.name ? probe : $0 }, allPods: allPods) == nil else { continue }
            let candidates = info.pods.filter { ($0.spec?.priority ?? 0) < priority }
                .sorted { ($0.spec?.priority ?? 0, $0.name) < ($1.spec?.priority ?? 0, $1.name) }
            var victims: [Pod] = []
            var fits = false
            for candidate in [nil] + candidates.map(Optional.some) {
                if let candidate { victims.append(candidate) }
                let keys = Set(victims.map(Self.key))
                var after = info
                after.pods = info.pods.filter { !keys.contains(Self.key($0)) }
                if resourceRejection(pod, info, without: keys) == nil, !hostPortConflict(pod, after.pods) {
                    fits = true
                    break
                }
            }
            guard fits, !victims.isEmpty else { continue }
            let worse: Bool = {
                guard let current = best else { return true }
                let maxA = victims.map { $0.spec?.priority ?? 0 }.max() ?? 0
                let maxB = current.victims.map { $0.spec?.priority ?? 0 }.max() ?? 0
                return (maxA, victims.count, info.node.name) < (maxB, current.victims.count, current.node)
            }()
            if worse { best = (info.node.name, victims) }
        }
        guard let best else { return nil }
        return .preempt(node: best.node, victims: best.victims.map(Self.key))
    }
}
