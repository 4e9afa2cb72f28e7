import KubeAPI
import NetAddr

/// Services + EndpointSlices + Nodes -> the plan every backend renders. Pure: the same
/// inputs give the same plan. Implements kube-proxy's behaviour (issue 6 §1).
///
/// `servicePlans` plans one Service alone, so a proxier can re-plan only the Services whose
/// objects changed; `plan` plans everything.
public enum ProxyModel {
    /// kube-proxy's default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours).
    public static let defaultAffinitySeconds: UInt32 = 10800

    /// Both families' plans and the health-check data.
    public static func plan(_ inputs: ProxyInputs, config: ProxyConfig) -> ProxyPlanSet {
        let node = NodeContext(inputs.nodes[config.nodeName], config: config)
        var set = emptyPlan(node)
        let slices = inputs.slicesByService
        for (key, svc) in inputs.services {
            set.insert(servicePlans(key, svc, slices: slices[key] ?? [], node: node))
        }
        return set
    }

    /// The plan with the node-level data and no Service.
    public static func emptyPlan(_ node: NodeContext) -> ProxyPlanSet {
        func family(_ f: IPFamily) -> ProxyPlan {
            ProxyPlan(family: f, nodePortIPs: node.config.nodePortIPs(f),
                      nodeIPs: Array(Set(node.config.nodeAddresses.filter { $0.family == f })).sorted(),
                      clusterCIDRs: Array(Set(node.config.clusterCIDRs.filter { $0.family == f }.map(\.network))).sorted(),
                      masqueradeMark: node.config.masqueradeMark)
        }
        return ProxyPlanSet(v4: family(.v4), v6: family(.v6))
    }

    /// Services the proxy leaves alone: headless, ExternalName, without a ClusterIP, or
    /// labelled for another proxy (`service.kubernetes.io/service-proxy-name`) or headless
    /// (`service.kubernetes.io/headless`), as kube-proxy's informer label selector does.
    public static func ignored(_ svc: Service, config: ProxyConfig) -> Bool {
        guard let spec = svc.spec else { return true }
        if spec.type == "ExternalName" { return true }
        let ip = spec.clusterIP ?? ""
        if ip == "None" || ip.isEmpty { return true }
        let labels = svc.metadata.labels ?? [:]
        if labels["service.kubernetes.io/headless"] != nil { return true }
        if let proxy = labels["service.kubernetes.io/service-proxy-name"] {
            return config.proxyName == nil || proxy != config.proxyName
        }
        return false
    }

    /// The plan of one Service (nil or ignored: no ports) from its EndpointSlices.
    public static func servicePlans(_ key: NamespacedName, _ svc: Service?, slices: [EndpointSlice],
                                    node: NodeContext) -> ServicePlans {
        var out = ServicePlans(service: key)
        guard let svc, !ignored(svc, config: node.config), let spec = svc.spec else { return out }
        var local = Set<IPAddress>()
        for family in [IPFamily.v4, .v6] {
            for p in servicePorts(svc, key: key, family: family, slices: slices, node: node) {
                out[family].append(p.plan)
                local.formUnion(p.localAddresses)
            }
        }
        if spec.type == "LoadBalancer", spec.externalTrafficPolicy == "Local",
           let port = spec.healthCheckNodePort, (1...65535).contains(port) {
            out.healthCheck = HealthCheck(service: key, nodePort: UInt16(port), localEndpoints: local.count)
        }
        return out
    }

    private struct PortResult {
        var plan: ServicePortPlan
        var localAddresses: Set<IPAddress>
    }

    private static func servicePorts(_ svc: Service, key: NamespacedName, family: IPFamily, slices: [EndpointSlice],
                                     node: NodeContext) -> [PortResult] {
        guard let spec = svc.spec else { return [] }
        let clusterIPs = (spec.clusterIPs ?? []) + [spec.clusterIP ?? ""]
        guard let clusterIP = clusterIPs.compactMap(IPAddress.init).first(where: { $0.family == family }) else { return [] }
        let isLB = spec.type == "LoadBalancer"
        let externalIPs = Array(Set((spec.externalIPs ?? []).compactMap(IPAddress.init).filter { $0.family == family })).sorted()
        let lbIPs = !isLB ? [] : Array(Set((svc.status?.loadBalancer?.ingress ?? [])
            .filter { $0.ipMode != "Proxy" }   // the load balancer proxies: no VIP on the node
            .compactMap { $0.ip.flatMap(IPAddress.init) }.filter { $0.family == family })).sorted()
        // Ranges of the other family are simply not this family's (kube-proxy filters per family).
        let ranges = !isLB ? [] : Array(Set((spec.loadBalancerSourceRanges ?? [])
            .compactMap { IPPrefix($0.trimmingCharacters(in: .whitespaces)) }
            .filter { $0.family == family }.map(\.network))).sorted()
        let affinity: UInt32? = spec.sessionAffinity == "ClientIP"
            ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds.map { UInt32(max(1, $0)) } ?? defaultAffinitySeconds
            : nil
        let eLocal = spec.externalTrafficPolicy == "Local"
        let iLocal = spec.internalTrafficPolicy == "Local"
        let topology = TopologyContext(service: spec, annotations: svc.metadata.annotations,
                                       nodeName: node.config.nodeName, zone: node.zone)
        var out: [PortResult] = []
        for port in spec.ports ?? [] {
            guard let proto = TransportProtocol(kubernetes: port.protocol), (1...65535).contains(port.port) else { continue }
            let name = ServicePortName(key, port: port.name ?? "", proto: proto)
            let infos = EndpointInfo.merge(slices, portName: name.port, proto: proto, family: family,
                                           nodeName: node.config.nodeName)
            let cats = EndpointCategories(infos, topology: topology)
            let nodePort = port.nodePort.flatMap { (1...65535).contains($0) ? UInt16($0) : nil }
            let plan = ServicePortPlan(
                name: name, clusterIP: clusterIP, port: UInt16(port.port), nodePort: nodePort,
                externalIPs: externalIPs, loadBalancerIPs: lbIPs, sourceRanges: ranges, affinitySeconds: affinity,
                externalPolicyLocal: eLocal, internalPolicyLocal: iLocal,
                internalTarget: target(iLocal ? cats.local : cats.cluster, hasAny: cats.hasAny),
                externalTarget: target(eLocal ? cats.local : cats.cluster, hasAny: cats.hasAny),
                clusterEndpoints: cats.cluster, hasAnyEndpoints: cats.hasAny)
            out.append(PortResult(plan: plan, localAddresses: Set(cats.local.map(\.address))))
        }
        return out
    }

    /// No usable endpoint at all: REJECT; usable ones exist but none for this traffic: DROP.
    static func target(_ endpoints: [PlanEndpoint], hasAny: Bool) -> TrafficTarget {
        if !hasAny { return .reject }
        return endpoints.isEmpty ? .drop : .endpoints(endpoints)
    }
}

/// The node-level inputs of the model: the configuration, completed from our Node object
/// (addresses when none are configured; the zone label for topology).
public struct NodeContext: Hashable, Sendable {
    public var config: ProxyConfig
    public var zone: String?

    public init(_ node: Node?, config: ProxyConfig) {
        var config = config
        if config.nodeAddresses.isEmpty, let node {
            config.nodeAddresses = (node.status?.addresses ?? [])
                .filter { $0.type == "InternalIP" || $0.type == "ExternalIP" }
                .compactMap { IPAddress($0.address) }
        }
        self.config = config
        zone = node?.metadata.labels?["topology.kubernetes.io/zone"]
    }
}

/// The plan of one Service: its ports in each family and its health check.
public struct ServicePlans: Hashable, Sendable {
    public var service: NamespacedName
    public var v4: [ServicePortPlan] = []
    public var v6: [ServicePortPlan] = []
    public var healthCheck: HealthCheck?

    public init(service: NamespacedName) { self.service = service }

    public subscript(family: IPFamily) -> [ServicePortPlan] {
        get { family == .v4 ? v4 : v6 }
        set { if family == .v4 { v4 = newValue } else { v6 = newValue } }
    }
}

extension ProxyPlanSet {
    /// Adds (or replaces) one Service's plans.
    public mutating func insert(_ s: ServicePlans) {
        for p in s.v4 { v4.services[p.name] = p }
        for p in s.v6 { v6.services[p.name] = p }
        healthChecks[s.service] = s.healthCheck
    }

    /// Removes one Service's plans (`old` is what was inserted for it).
    public mutating func remove(_ old: ServicePlans) {
        for p in old.v4 { v4.services[p.name] = nil }
        for p in old.v6 { v6.services[p.name] = nil }
        healthChecks[old.service] = nil
    }
}
