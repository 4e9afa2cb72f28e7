import NetAddr

/// The backend-independent result of `ProxyModel`: for one IP family, every virtual address,
/// port and endpoint set, with the verdicts kube-proxy would give them. Every backend
/// (nftables, iptables, IPVS, eBPF) renders the same plan.
public struct ProxyPlan: Hashable, Sendable, CustomStringConvertible {
    public var family: IPFamily
    /// Destinations of NodePort traffic (the node's addresses, filtered).
    public var nodePortIPs: [IPAddress]
    /// All of the node's own addresses (node-originated traffic to eTP Local Services).
    public var nodeIPs: [IPAddress]
    /// Pod addresses of the cluster (masquerade detection, eTP Local short-circuit).
    public var clusterCIDRs: [IPPrefix]
    public var masqueradeMark: UInt32
    /// One entry per Service port of this family.
    public var services: [ServicePortName: ServicePortPlan]

    public init(family: IPFamily, nodePortIPs: [IPAddress] = [], nodeIPs: [IPAddress] = [],
                clusterCIDRs: [IPPrefix] = [], masqueradeMark: UInt32 = 0x4000, services: [ServicePortName: ServicePortPlan] = [:]) {
        self.family = family
        self.nodePortIPs = nodePortIPs
        self.nodeIPs = nodeIPs
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeMark = masqueradeMark
        self.services = services
    }

    /// The Service ports in name order.
    public var sortedServices: [ServicePortPlan] { services.values.sorted { $0.name < $1.name } }

    public var description: String {
        var lines = ["family \(family)"]
        lines.append("nodeport-ips " + list(nodePortIPs))
        lines.append("node-ips " + list(nodeIPs))
        lines.append("cluster-cidrs " + list(clusterCIDRs))
        lines.append("masquerade-mark 0x" + String(masqueradeMark, radix: 16))
        for s in sortedServices { lines += s.descriptionLines }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What happens to traffic for one kind of destination (internal = ClusterIP, external =
/// NodePort, externalIPs, load-balancer IPs).
public enum TrafficTarget: Hashable, Sendable, CustomStringConvertible {
    /// Load-balance uniformly over these endpoints (never empty).
    case endpoints([PlanEndpoint])
    /// No usable endpoint anywhere: ICMP port unreachable ("connection refused").
    case reject
    /// Endpoints exist but none may serve this traffic (traffic policy Local): drop.
    case drop

    public var endpoints: [PlanEndpoint] {
        if case let .endpoints(e) = self { return e }
        return []
    }

    public var description: String {
        switch self {
        case let .endpoints(e): e.map(\.description).joined(separator: " ")
        case .reject: "REJECT"
        case .drop: "DROP"
        }
    }
}

/// One endpoint of a Service port: an address and the target port.
public struct PlanEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    /// Whether it runs on this node.
    public var isLocal: Bool

    public init(_ address: IPAddress, _ port: UInt16, isLocal: Bool = false) {
        self.address = address
        self.port = port
        self.isLocal = isLocal
    }

    /// `10.1.0.5:8080`, `[fd00::5]:8080`.
    public var hostPort: String { address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)" }

    public var description: String { hostPort + (isLocal ? "(local)" : "") }

    public static func < (l: Self, r: Self) -> Bool { (l.address, l.port) < (r.address, r.port) }
}

/// One Service port in one family.
public struct ServicePortPlan: Hashable, Sendable {
    public var name: ServicePortName
    public var clusterIP: IPAddress
    public var port: UInt16
    public var nodePort: UInt16?
    /// `spec.externalIPs` of this family.
    public var externalIPs: [IPAddress]
    /// `status.loadBalancer.ingress[].ip` of this family (type LoadBalancer only).
    public var loadBalancerIPs: [IPAddress]
    /// `loadBalancerSourceRanges` of this family; empty = every source may reach the LB IPs.
    public var sourceRanges: [IPPrefix]
    /// ClientIP session affinity timeout in seconds; nil = no affinity.
    public var affinitySeconds: UInt32?
    /// `externalTrafficPolicy: Local`: external traffic keeps its source address and goes to
    /// local endpoints only; pod- and node-originated traffic goes to `clusterEndpoints`.
    public var externalPolicyLocal: Bool
    /// `internalTrafficPolicy: Local`.
    public var internalPolicyLocal: Bool
    /// ClusterIP traffic.
    public var internalTarget: TrafficTarget
    /// NodePort, externalIP and load-balancer traffic.
    public var externalTarget: TrafficTarget
    /// The endpoints for cluster-wide policy (topology applied): where eTP Local sends
    /// pod- and node-originated external traffic.
    public var clusterEndpoints: [PlanEndpoint]
    /// Whether any usable endpoint exists anywhere (drives REJECT vs DROP).
    public var hasAnyEndpoints: Bool

    public var proto: TransportProtocol { name.proto }

    /// The local-policy endpoint set (iTP or eTP Local), empty when neither policy is Local.
    public var localEndpoints: [PlanEndpoint] {
        internalPolicyLocal ? internalTarget.endpoints : externalPolicyLocal ? externalTarget.endpoints : []
    }

    /// Every address this port answers on except NodePorts: the ClusterIP, externalIPs, LB IPs.
    public var hasExternal: Bool { nodePort != nil || !externalIPs.isEmpty || !loadBalancerIPs.isEmpty }

    /// All endpoint addresses this plan can send to (for conntrack cleanup).
    public var allEndpoints: Set<PlanEndpoint> {
        Set(internalTarget.endpoints + externalTarget.endpoints + clusterEndpoints)
    }

    var descriptionLines: [String] {
        var l = ["service \(name) \(clusterIP.isIPv4 ? "\(clusterIP)" : "[\(clusterIP)]"):\(port)"]
        if let nodePort { l.append("  nodePort \(nodePort)") }
        if !externalIPs.isEmpty { l.append("  externalIPs " + list(externalIPs)) }
        if !loadBalancerIPs.isEmpty { l.append("  loadBalancerIPs " + list(loadBalancerIPs)) }
        if !sourceRanges.isEmpty { l.append("  sourceRanges " + list(sourceRanges)) }
        if let affinitySeconds { l.append("  affinity ClientIP \(affinitySeconds)s") }
        if internalPolicyLocal { l.append("  internalTrafficPolicy Local") }
        if externalPolicyLocal { l.append("  externalTrafficPolicy Local") }
        l.append("  internal -> \(internalTarget)")
        if hasExternal { l.append("  external -> \(externalTarget)") }
        if externalPolicyLocal { l.append("  cluster -> " + list(clusterEndpoints)) }
        return l
    }
}

/// `healthCheckNodePort` data for one `externalTrafficPolicy: Local` LoadBalancer Service.
public struct HealthCheck: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var service: NamespacedName
    public var nodePort: UInt16
    /// Distinct local usable endpoints (any port, any family).
    public var localEndpoints: Int

    public init(service: NamespacedName, nodePort: UInt16, localEndpoints: Int) {
        self.service = service
        self.nodePort = nodePort
        self.localEndpoints = localEndpoints
    }

    public var description: String { "healthcheck \(service) :\(nodePort) localEndpoints=\(localEndpoints)" }

    public static func < (l: Self, r: Self) -> Bool { (l.service, l.nodePort) < (r.service, r.nodePort) }
}

/// The plans of both families plus the node-level data that is not per family.
public struct ProxyPlanSet: Hashable, Sendable, CustomStringConvertible {
    public var v4: ProxyPlan
    public var v6: ProxyPlan
    public var healthChecks: [NamespacedName: HealthCheck]

    public init(v4: ProxyPlan, v6: ProxyPlan, healthChecks: [NamespacedName: HealthCheck] = [:]) {
        self.v4 = v4
        self.v6 = v6
        self.healthChecks = healthChecks
    }

    public subscript(family: IPFamily) -> ProxyPlan {
        get { family == .v4 ? v4 : v6 }
        set { if family == .v4 { v4 = newValue } else { v6 = newValue } }
    }

    public var description: String {
        v4.description + v6.description + healthChecks.values.sorted().map { "\($0)\n" }.joined()
    }
}

func list<T: CustomStringConvertible>(_ items: [T]) -> String {
    items.isEmpty ? "-" : items.map(\.description).joined(separator: " ")
}
