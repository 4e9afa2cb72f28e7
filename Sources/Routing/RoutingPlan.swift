import NetAddr

/// The kernel state one node needs for pod traffic to every other node, as plain values
/// (devices by name). Computed by `RoutePlanner`, applied by `RoutingReconciler`.
public struct RoutingPlan: Equatable, Sendable, CustomStringConvertible {
    public var mode: RoutingMode
    /// This node's VTEP; nil in host-gw mode.
    public var vtep: VTEP?
    public var routes: [PeerRoute]
    public var neighbors: [PeerNeighbor]
    public var fdb: [PeerFDB]
    /// Peers (or some of their pod CIDRs) that cannot be reached, with the reason.
    public var problems: [PeerProblem]
    /// This node's pod CIDRs and the MTU its pods must use (what the CNI plugins read).
    public var localPodCIDRs: [IPPrefix]
    public var podMTU: Int

    public init(mode: RoutingMode, vtep: VTEP? = nil, routes: [PeerRoute] = [], neighbors: [PeerNeighbor] = [],
                fdb: [PeerFDB] = [], problems: [PeerProblem] = [], localPodCIDRs: [IPPrefix] = [], podMTU: Int) {
        self.mode = mode
        self.vtep = vtep
        self.routes = routes.sorted()
        self.neighbors = neighbors.sorted()
        self.fdb = fdb.sorted()
        self.problems = problems.sorted()
        self.localPodCIDRs = localPodCIDRs.sorted()
        self.podMTU = podMTU
    }

    /// One line per fact, in a fixed order (golden tests, `trellis routing --dump`).
    public var description: String {
        var lines = ["mode \(mode)"]
        lines += localPodCIDRs.map { "pod cidr \($0)" }
        lines.append("pod mtu \(podMTU)")
        if let vtep {
            lines.append(vtep.description)
            lines += vtep.addresses.map { "vtep address \($0)" }
        }
        lines += fdb.map(\.description) + neighbors.map(\.description) + routes.map(\.description)
        lines += problems.map { "unreachable \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// A VXLAN tunnel endpoint device (`ip link add NAME type vxlan id VNI dstport PORT local IP
/// dev UPLINK nolearning`), with learning off: every remote MAC is a static FDB entry.
public struct VTEP: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var vni: UInt32
    public var port: UInt16
    public var mac: MACAddress
    /// The tunnel's source address (this node's underlay IP).
    public var local: IPAddress
    public var underlay: String
    public var mtu: Int
    /// Host prefixes: the network address of each local pod CIDR (`10.244.1.0/32`).
    public var addresses: [IPPrefix]

    public var description: String {
        "vtep \(name) vni \(vni) port \(port) mac \(mac) local \(local) dev \(underlay) mtu \(mtu) nolearning"
    }
}

/// A route to a remote pod CIDR.
public struct PeerRoute: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var node: String
    public var destination: IPPrefix
    public var gateway: IPAddress
    public var device: String
    /// `onlink`: the gateway is a remote VTEP address, reachable only through the neighbour entry.
    public var onLink: Bool

    public var description: String {
        "route \(destination) via \(gateway) dev \(device)\(onLink ? " onlink" : "") # \(node)"
    }
    public static func < (a: Self, b: Self) -> Bool { (a.destination, a.node) < (b.destination, b.node) }
}

/// A permanent neighbour entry on the VTEP: remote VTEP address -> remote VTEP MAC.
public struct PeerNeighbor: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var node: String
    public var address: IPAddress
    public var mac: MACAddress
    public var device: String

    public var description: String { "neigh \(address) lladdr \(mac) dev \(device) permanent # \(node)" }
    public static func < (a: Self, b: Self) -> Bool { (a.address, a.node) < (b.address, b.node) }
}

/// A permanent FDB entry on the VTEP: remote VTEP MAC -> remote underlay IP.
public struct PeerFDB: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var node: String
    public var mac: MACAddress
    public var destination: IPAddress
    public var device: String

    public var description: String { "fdb \(mac) dev \(device) dst \(destination) self permanent # \(node)" }
    public static func < (a: Self, b: Self) -> Bool { (a.node, a.destination) < (b.node, b.destination) }
}

/// Why a peer (or one of its pod CIDRs) gets no route.
public struct PeerProblem: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var node: String
    public var reason: String

    public init(node: String, reason: String) {
        self.node = node
        self.reason = reason
    }

    public var description: String { "node \(node): \(reason)" }
    public static func < (a: Self, b: Self) -> Bool { (a.node, a.reason) < (b.node, b.reason) }
}
