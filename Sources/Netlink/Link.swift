import NetAddr
import NetNS

/// A network interface as the kernel reports it (`RTM_NEWLINK`).
public struct Link: Sendable, Hashable, CustomStringConvertible {
    /// The interface index (`ifi_index`).
    public var index: Int
    /// `IFLA_IFNAME`.
    public var name: String
    /// The driver kind from `IFLA_LINKINFO`/`IFLA_INFO_KIND` (`veth`, `bridge`, `vxlan`, …);
    /// nil for devices without rtnl link ops such as `lo`.
    public var kind: String?
    /// `IFLA_MTU`.
    public var mtu: Int
    /// `IFLA_ADDRESS` when it is an Ethernet address.
    public var mac: MACAddress?
    /// The raw `IFF_*` flags (`ifi_flags`).
    public var flags: UInt32
    /// `IFLA_OPERSTATE` (RFC 2863).
    public var operState: OperState
    /// The bridge or bond this device is enslaved to (`IFLA_MASTER`).
    public var masterIndex: Int?
    /// `IFLA_LINK`: the peer's index for a veth, the lower device for a vlan.
    /// Read it together with `linkNetnsID` when the peer is in another namespace.
    public var parentIndex: Int?
    /// `IFLA_LINK_NETNSID`: the namespace id (as seen from this namespace) where
    /// `parentIndex` lives; nil when it is this namespace.
    public var linkNetnsID: Int?
    /// For a bridge port: whether hairpin mode is on (`IFLA_BRPORT_MODE`); nil otherwise.
    public var hairpin: Bool?

    public init(index: Int, name: String, kind: String? = nil, mtu: Int = 0, mac: MACAddress? = nil,
                flags: UInt32 = 0, operState: OperState = .unknown, masterIndex: Int? = nil,
                parentIndex: Int? = nil, linkNetnsID: Int? = nil, hairpin: Bool? = nil) {
        self.index = index
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.mac = mac
        self.flags = flags
        self.operState = operState
        self.masterIndex = masterIndex
        self.parentIndex = parentIndex
        self.linkNetnsID = linkNetnsID
        self.hairpin = hairpin
    }

    /// `IFF_UP`: administratively up.
    public var isUp: Bool { flags & 0x1 != 0 }
    /// `IFF_LOWER_UP`: the driver signals carrier.
    public var hasCarrier: Bool { flags & 0x10000 != 0 }
    /// `IFF_PROMISC`.
    public var isPromisc: Bool { flags & 0x100 != 0 }

    public var description: String {
        var s = "\(index): \(name)"
        if let kind { s += " \(kind)" }
        s += " mtu \(mtu) \(isUp ? "UP" : "DOWN") state \(operState)"
        if let mac { s += " link/ether \(mac)" }
        if let masterIndex { s += " master #\(masterIndex)" }
        return s
    }
}

/// RFC 2863 operational state (`IF_OPER_*`).
public enum OperState: UInt8, Sendable, Hashable, CustomStringConvertible {
    case unknown = 0, notPresent = 1, down = 2, lowerLayerDown = 3, testing = 4, dormant = 5, up = 6

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .notPresent: "NOTPRESENT"
        case .down: "DOWN"
        case .lowerLayerDown: "LOWERLAYERDOWN"
        case .testing: "TESTING"
        case .dormant: "DORMANT"
        case .up: "UP"
        }
    }
}

/// What `linkAdd` creates: a name, a kind with its options, and common attributes.
public struct LinkSpec: Sendable {
    public var name: String
    public var kind: Kind
    public var mtu: Int?
    public var mac: MACAddress?
    /// Enslave to this bridge at creation (`IFLA_MASTER`).
    public var masterIndex: Int?

    public enum Kind: Sendable {
        case dummy
        case bridge(vlanFiltering: Bool?)
        case veth(peer: VethPeer)
        case vxlan(VXLANOptions)

        var name: String {
            switch self {
            case .dummy: "dummy"
            case .bridge: "bridge"
            case .veth: "veth"
            case .vxlan: "vxlan"
            }
        }
    }

    public init(name: String, kind: Kind, mtu: Int? = nil, mac: MACAddress? = nil, masterIndex: Int? = nil) {
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.mac = mac
        self.masterIndex = masterIndex
    }

    /// A veth pair; `peer.netns` creates the other end directly in another namespace.
    public static func veth(name: String, mtu: Int? = nil, mac: MACAddress? = nil, peer: VethPeer) -> LinkSpec {
        LinkSpec(name: name, kind: .veth(peer: peer), mtu: mtu, mac: mac)
    }

    /// A bridge. Kernel quirk (6.18): an `mtu` given here is not "set by user", so the
    /// bridge follows its ports' MTU once one is enslaved; call `linkSetMTU` to pin it.
    /// `vlanFiltering` fails with `EOPNOTSUPP` on kernels without CONFIG_BRIDGE_VLAN_FILTERING.
    public static func bridge(name: String, mtu: Int? = nil, mac: MACAddress? = nil,
                              vlanFiltering: Bool? = nil) -> LinkSpec {
        LinkSpec(name: name, kind: .bridge(vlanFiltering: vlanFiltering), mtu: mtu, mac: mac)
    }

    public static func vxlan(name: String, mtu: Int? = nil, mac: MACAddress? = nil, _ options: VXLANOptions) -> LinkSpec {
        LinkSpec(name: name, kind: .vxlan(options), mtu: mtu, mac: mac)
    }

    public static func dummy(name: String, mtu: Int? = nil, mac: MACAddress? = nil) -> LinkSpec {
        LinkSpec(name: name, kind: .dummy, mtu: mtu, mac: mac)
    }
}

/// The far end of a veth pair (`VETH_INFO_PEER`).
public struct VethPeer: Sendable {
    public var name: String
    public var mtu: Int?
    public var mac: MACAddress?
    /// Create the peer in this namespace (`IFLA_NET_NS_FD`) instead of the socket's.
    public var netns: NetNS?

    public init(name: String, mtu: Int? = nil, mac: MACAddress? = nil, netns: NetNS? = nil) {
        self.name = name
        self.mtu = mtu
        self.mac = mac
        self.netns = netns
    }
}

/// VXLAN device options (`IFLA_VXLAN_*`). Unset fields keep the kernel's defaults.
public struct VXLANOptions: Sendable, Hashable {
    /// `IFLA_VXLAN_ID`.
    public var vni: UInt32
    /// Source address of the tunnel (`IFLA_VXLAN_LOCAL` / `LOCAL6`).
    public var local: IPAddress?
    /// Underlay device index (`IFLA_VXLAN_LINK`, `dev` in iproute2).
    public var underlayIndex: Int?
    /// UDP destination port (`IFLA_VXLAN_PORT`); iproute2 requires one, 4789 is IANA's.
    public var port: UInt16?
    /// MAC learning from received packets (`IFLA_VXLAN_LEARNING`).
    public var learning: Bool?
    /// `IFLA_VXLAN_TTL`; 0 means inherit.
    public var ttl: UInt8?

    public init(vni: UInt32, local: IPAddress? = nil, underlayIndex: Int? = nil, port: UInt16? = 4789,
                learning: Bool? = nil, ttl: UInt8? = nil) {
        self.vni = vni
        self.local = local
        self.underlayIndex = underlayIndex
        self.port = port
        self.learning = learning
        self.ttl = ttl
    }
}
