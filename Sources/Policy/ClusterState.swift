import KubeAPI
import NetAddr

/// A pod as policy sees it.
struct PodInfo: Hashable, Sendable {
    var namespace: String
    var name: String
    var labels: [String: String]
    var ips: [IPAddress]
    var nodeName: String
    var hostIP: IPAddress?
    var hostNetwork: Bool
    /// Named container ports: (name, protocol, number).
    var namedPorts: [NamedPort]

    struct NamedPort: Hashable, Sendable {
        var name: String
        var proto: L4Proto
        var number: UInt16
    }

    var key: String { "\(namespace)/\(name)" }

    init(_ pod: Pod) {
        namespace = pod.metadata.namespace ?? "default"
        name = pod.metadata.name ?? ""
        labels = pod.metadata.labels ?? [:]
        nodeName = pod.spec?.nodeName ?? ""
        hostNetwork = pod.spec?.hostNetwork ?? false
        hostIP = pod.status?.hostIP.flatMap { IPAddress($0) }
        var ips = (pod.status?.podIPs ?? []).compactMap { IPAddress($0.ip) }
        if ips.isEmpty, let ip = pod.status?.podIP.flatMap({ IPAddress($0) }) { ips = [ip] }
        // A finished pod's address may already belong to a new pod: it is no one's peer.
        let phase = pod.status?.phase
        self.ips = phase == "Succeeded" || phase == "Failed" ? [] : ips
        var ports: [NamedPort] = []
        for c in (pod.spec?.initContainers ?? []) + (pod.spec?.containers ?? []) {
            for p in c.ports ?? [] {
                guard let n = p.name, let proto = L4Proto(apiName: p.protocol ?? "TCP"),
                      let number = UInt16(exactly: p.containerPort) else { continue }
                ports.append(NamedPort(name: n, proto: proto, number: number))
            }
        }
        namedPorts = ports
    }

    /// Port numbers `spec` resolves to on this pod for `proto` (empty: no such named port).
    func resolve(_ name: String, _ proto: L4Proto?) -> [(L4Proto, UInt16)] {
        namedPorts.filter { $0.name == name && (proto == nil || $0.proto == proto) }.map { ($0.proto, $0.number) }
    }
}

/// Every object policy decisions depend on, normalized once on insert.
public struct ClusterState: Sendable {
    var pods: [String: PodInfo] = [:]
    /// Namespace labels, always including `kubernetes.io/metadata.name`.
    var namespaces: [String: [String: String]] = [:]
    var policies: [String: NormalizedPolicy] = [:]
    /// Pod keys by IP, for peers and destinations of flows.
    var podsByIP: [IPAddress: String] = [:]
    /// Pod keys by namespace.
    var podsByNamespace: [String: Set<String>] = [:]
    /// NetworkPolicy keys by namespace, and every ClusterNetworkPolicy key.
    var networkPolicyKeys: [String: Set<String>] = [:]
    var clusterPolicyKeys: Set<String> = []

    public init() {}

    public mutating func upsert(_ pod: Pod) { upsert(PodInfo(pod)) }

    mutating func upsert(_ pod: PodInfo) {
        removePod(pod.key)
        pods[pod.key] = pod
        podsByNamespace[pod.namespace, default: []].insert(pod.key)
        if !pod.hostNetwork { for ip in pod.ips { podsByIP[ip] = pod.key } }
    }

    public mutating func deletePod(namespace: String, name: String) { removePod("\(namespace)/\(name)") }

    mutating func removePod(_ key: String) {
        guard let old = pods.removeValue(forKey: key) else { return }
        podsByNamespace[old.namespace]?.remove(key)
        for ip in old.ips where podsByIP[ip] == key { podsByIP[ip] = nil }
    }

    public mutating func upsert(_ ns: Namespace) {
        let name = ns.metadata.name ?? ""
        var labels = ns.metadata.labels ?? [:]
        labels["kubernetes.io/metadata.name"] = name
        namespaces[name] = labels
    }

    public mutating func deleteNamespace(_ name: String) { namespaces[name] = nil }

    public mutating func upsert(_ np: NetworkPolicy) { upsert(NormalizedPolicy(np)) }
    public mutating func upsert(_ cnp: ClusterNetworkPolicy) { upsert(NormalizedPolicy(cnp)) }
    mutating func upsert(_ p: NormalizedPolicy) {
        policies[p.key] = p
        if case let .namespace(ns, _) = p.subject { networkPolicyKeys[ns, default: []].insert(p.key) }
        else { clusterPolicyKeys.insert(p.key) }
    }

    public mutating func deleteNetworkPolicy(namespace: String, name: String) {
        let key = "np/\(namespace)/\(name)"
        policies[key] = nil
        networkPolicyKeys[namespace]?.remove(key)
    }

    public mutating func deleteClusterNetworkPolicy(_ name: String) {
        policies["cnp/\(name)"] = nil
        clusterPolicyKeys.remove("cnp/\(name)")
    }

    /// A namespace's labels; a namespace not (yet) seen still has its name label.
    func namespaceLabels(_ name: String) -> [String: String] {
        namespaces[name] ?? ["kubernetes.io/metadata.name": name]
    }

    /// Whether `pod` is in a namespace `match` accepts.
    func namespace(_ ns: String, matches match: NamespaceMatch) -> Bool {
        switch match {
        case .named(let n): ns == n
        case .selector(let s): s.matches(namespaceLabels(ns))
        }
    }

    /// Whether a policy applies to `pod`. hostNetwork pods are never selected (issue 9: documented
    /// choice — their traffic is the node's).
    func selects(_ p: NormalizedPolicy, _ pod: PodInfo) -> Bool {
        guard !pod.hostNetwork else { return false }
        switch p.subject {
        case let .namespace(ns, sel): return pod.namespace == ns && sel.matches(pod.labels)
        case let .cluster(nsSel, podSel):
            return nsSel.matches(namespaceLabels(pod.namespace)) && (podSel?.matches(pod.labels) ?? true)
        case .nothing: return false
        }
    }

    /// Whether a pod is one of the pods a `.pods` peer names.
    func peer(_ peer: Peer, matchesPod pod: PodInfo) -> Bool {
        guard case let .pods(nsMatch, podSel) = peer, !pod.hostNetwork else { return false }
        return namespace(pod.namespace, matches: nsMatch) && (podSel?.matches(pod.labels) ?? true)
    }

    /// The policies applying to `pod` in direction `d`, in evaluation order.
    func policies(selecting pod: PodInfo, _ d: Direction) -> [NormalizedPolicy] {
        let keys = (networkPolicyKeys[pod.namespace] ?? []).union(clusterPolicyKeys)
        // A ClusterNetworkPolicy without rules in this direction has no effect on it; a
        // NetworkPolicy covering the direction isolates even with no rules.
        return keys.compactMap { policies[$0] }.filter { p in
            guard let rules = p.rules(d), p.tier == .networkPolicy || !rules.isEmpty else { return false }
            return selects(p, pod)
        }
            .sorted(by: NormalizedPolicy.tierOrder)
    }
}
