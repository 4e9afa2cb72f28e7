import NetAddr

/// What the model needs to know about the node it runs on and the cluster around it.
public struct ProxyConfig: Sendable, Hashable {
    /// This node's name: endpoints with this `nodeName` are local.
    public var nodeName: String
    /// The node's own addresses; NodePorts answer on those inside `nodePortAddresses`.
    public var nodeAddresses: [IPAddress]
    /// Which node addresses serve NodePorts (kube-proxy's `--nodeport-addresses`); empty = all.
    public var nodePortAddresses: [IPPrefix]
    /// Pod addresses of the whole cluster: traffic from outside them to a ClusterIP is
    /// masqueraded, and from inside them it short-circuits `externalTrafficPolicy: Local`.
    /// Empty disables both (kube-proxy with no local-traffic detector).
    public var clusterCIDRs: [IPPrefix]
    /// The packet mark bit that asks for masquerade in postrouting.
    public var masqueradeMark: UInt32
    /// Services labelled `service.kubernetes.io/service-proxy-name` are ours only when the
    /// label names this proxy; nil = ignore every such Service.
    public var proxyName: String?

    public init(nodeName: String, nodeAddresses: [IPAddress] = [], nodePortAddresses: [IPPrefix] = [],
                clusterCIDRs: [IPPrefix] = [], masqueradeMark: UInt32 = 0x4000, proxyName: String? = nil) {
        self.nodeName = nodeName
        self.nodeAddresses = nodeAddresses
        self.nodePortAddresses = nodePortAddresses
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeMark = masqueradeMark
        self.proxyName = proxyName
    }

    /// The addresses of `family` that NodePorts answer on.
    public func nodePortIPs(_ family: IPFamily) -> [IPAddress] {
        let mine = nodeAddresses.filter { $0.family == family }
        let filters = nodePortAddresses.filter { $0.family == family }
        if nodePortAddresses.isEmpty { return Array(Set(mine)).sorted() }
        return Array(Set(mine.filter { a in filters.contains { $0.contains(a) } })).sorted()
    }
}
