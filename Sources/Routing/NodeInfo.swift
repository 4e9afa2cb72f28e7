import KubeAPI
import NetAddr

/// The routing facts of one Node: its pod CIDRs, its underlay ("public") addresses and the
/// VTEP MAC it published.
public struct NodeInfo: Sendable, Hashable {
    public var name: String
    /// `spec.podCIDRs` (or `spec.podCIDR`), normalised to network addresses, v4 first.
    public var podCIDRs: [IPPrefix]
    /// Underlay addresses: the `public-ip`/`public-ipv6` annotations when set, else the
    /// `InternalIP` addresses from `status.addresses`.
    public var publicIPs: [IPAddress]
    /// The MAC of the node's VTEP (annotation `vtep-mac`), once its daemon has published it.
    public var vtepMAC: MACAddress?

    public init(name: String, podCIDRs: [IPPrefix], publicIPs: [IPAddress], vtepMAC: MACAddress? = nil) {
        self.name = name
        self.podCIDRs = podCIDRs.map(\.network).sorted()
        self.publicIPs = publicIPs
        self.vtepMAC = vtepMAC
    }

    /// Reads a Node object. Unparseable CIDRs, addresses and MACs are left out.
    public init(_ node: Node) {
        let annotations = node.metadata.annotations ?? [:]
        var cidrs = node.spec?.podCIDRs ?? []
        if cidrs.isEmpty, let one = node.spec?.podCIDR { cidrs = [one] }
        var ips: [IPAddress] = []
        for key in [NodeAnnotation.publicIP, NodeAnnotation.publicIPv6] {
            if let text = annotations[key], let ip = IPAddress(text) { ips.append(ip) }
        }
        if ips.isEmpty {
            ips = (node.status?.addresses ?? []).filter { $0.type == "InternalIP" }.compactMap { IPAddress($0.address) }
        }
        self.init(name: node.metadata.name ?? "", podCIDRs: cidrs.compactMap { IPPrefix($0) }, publicIPs: ips,
                  vtepMAC: annotations[NodeAnnotation.vtepMAC].flatMap { MACAddress($0) })
    }

    /// The first underlay address of `family`.
    public func publicIP(_ family: IPFamily) -> IPAddress? { publicIPs.first { $0.family == family } }

    /// The VTEP's overlay address for a pod CIDR: its network address as a host prefix
    /// (`10.244.1.0/32`), as flannel does, so no extra address space is needed.
    public static func vtepAddress(for podCIDR: IPPrefix) -> IPAddress { podCIDR.network.address }
}

/// The annotations `trellis routing` reads and publishes on Node objects.
public enum NodeAnnotation {
    public static let prefix = "routing.trellis.dev/"
    /// The MAC address of the node's VTEP device.
    public static let vtepMAC = prefix + "vtep-mac"
    /// The node's IPv4 underlay address (overrides the InternalIP).
    public static let publicIP = prefix + "public-ip"
    /// The node's IPv6 underlay address (overrides the InternalIP).
    public static let publicIPv6 = prefix + "public-ipv6"
    /// The VNI the node's VTEP uses (informational; every node must agree).
    public static let vni = prefix + "vni"
}
