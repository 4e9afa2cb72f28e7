import NetAddr

/// How pod traffic crosses between nodes.
public enum RoutingMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A route per remote podCIDR via the remote node's IP; every peer must be on-link.
    case hostGW = "hostgw"
    /// A VXLAN overlay: one VTEP per node, static neighbour + FDB + onlink route per peer.
    case vxlan
    /// Direct routes to on-link peers, VXLAN to the rest.
    case hybrid

    public var description: String { rawValue }
    /// Whether this node needs a VTEP device at all.
    public var usesVXLAN: Bool { self != .hostGW }
}

/// The underlay interface of this node (the one holding its node IP), as read from the kernel.
public struct Uplink: Sendable, Hashable {
    public var name: String
    public var mtu: Int
    /// Its addresses with their prefix lengths (`10.0.0.2/24`): what is on-link.
    public var addresses: [IPPrefix]

    public init(name: String, mtu: Int, addresses: [IPPrefix]) {
        self.name = name
        self.mtu = mtu
        self.addresses = addresses
    }

    /// Whether `address` is inside one of the uplink's connected subnets.
    public func isOnLink(_ address: IPAddress) -> Bool {
        addresses.contains { $0.family == address.family && $0.network.contains(address) }
    }
}

/// Everything the planner needs besides the Node objects.
public struct RoutingConfig: Sendable, Hashable {
    public var mode: RoutingMode
    /// This node's name (`metadata.name`).
    public var nodeName: String
    /// The VXLAN network identifier (`--vni`).
    public var vni: UInt32
    /// The VXLAN UDP port (`--vxlan-port`). 4789 is IANA's; flannel's default on Linux is 8472.
    public var port: UInt16
    /// The VTEP device's name.
    public var vtepName: String
    /// The route protocol number that marks routes as ours (`proto 84` in `ip route`).
    public var routeProtocol: UInt8

    public init(mode: RoutingMode, nodeName: String, vni: UInt32 = 1, port: UInt16 = 4789,
                vtepName: String = "trellis.vxlan", routeProtocol: UInt8 = RoutingConfig.defaultRouteProtocol) {
        self.mode = mode
        self.nodeName = nodeName
        self.vni = vni
        self.port = port
        self.vtepName = vtepName
        self.routeProtocol = routeProtocol
    }

    /// 84 ('T'): unused in iproute2's `rt_protos` and by flannel, Calico (80) and BIRD (12).
    public static let defaultRouteProtocol: UInt8 = 84

    /// VXLAN over IPv4 adds 50 bytes (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14);
    /// over IPv6 70 (outer IPv6 40).
    public static func vxlanOverhead(underlay family: IPFamily) -> Int { family == .v4 ? 50 : 70 }
}
