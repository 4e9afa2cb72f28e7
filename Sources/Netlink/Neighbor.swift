import NetAddr

/// An IP neighbour (ARP / NDP entry), as `ip neigh` shows it.
public struct Neighbor: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// The interface index (`ndm_ifindex`).
    public var index: Int
    /// `NDA_LLADDR`; nil for an incomplete or failed entry.
    public var mac: MACAddress?
    public var state: NeighborState
    public var flags: NeighborFlags

    public init(address: IPAddress, index: Int, mac: MACAddress? = nil, state: NeighborState = .permanent,
                flags: NeighborFlags = []) {
        self.address = address
        self.index = index
        self.mac = mac
        self.state = state
        self.flags = flags
    }

    public var family: IPFamily { address.family }

    public var description: String {
        "\(address) dev #\(index)" + (mac.map { " lladdr \($0)" } ?? "") + " \(state)"
    }
}

/// A bridge forwarding-database entry (`AF_BRIDGE` neighbour), as `bridge fdb` shows it.
public struct FDBEntry: Sendable, Hashable, CustomStringConvertible {
    public var mac: MACAddress
    /// The port (or VXLAN device) index (`ndm_ifindex`).
    public var index: Int
    /// For VXLAN devices: the remote VTEP (`NDA_DST`, `dst` in iproute2).
    public var destination: IPAddress?
    /// `NDA_VLAN`.
    public var vlan: UInt16?
    /// `NDA_VNI`, for VXLAN devices in collect-metadata or multi-VNI setups.
    public var vni: UInt32?
    /// `NDA_MASTER` on dumps: the bridge the port belongs to.
    public var masterIndex: Int?
    /// `.permanent` (VXLAN `permanent`; on a bridge, a local entry), `.noARP` (`static`),
    /// `.reachable` (`dynamic`).
    public var state: NeighborState
    /// `.self_` for the device's own table (VXLAN), `.master` for the bridge's.
    public var flags: NeighborFlags

    public init(mac: MACAddress, index: Int, destination: IPAddress? = nil, vlan: UInt16? = nil,
                vni: UInt32? = nil, masterIndex: Int? = nil, state: NeighborState = .permanent,
                flags: NeighborFlags = .self_) {
        self.mac = mac
        self.index = index
        self.destination = destination
        self.vlan = vlan
        self.vni = vni
        self.masterIndex = masterIndex
        self.state = state
        self.flags = flags
    }

    public var description: String {
        var s = "\(mac) dev #\(index)"
        if let destination { s += " dst \(destination)" }
        if let vlan { s += " vlan \(vlan)" }
        if let vni { s += " vni \(vni)" }
        if flags.contains(.self_) { s += " self" }
        if flags.contains(.master) { s += " master" }
        return s + " \(state)"
    }
}

/// `NUD_*` neighbour states.
public struct NeighborState: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighborState(rawValue: 0x01)
    public static let reachable = NeighborState(rawValue: 0x02)
    public static let stale = NeighborState(rawValue: 0x04)
    public static let delay = NeighborState(rawValue: 0x08)
    public static let probe = NeighborState(rawValue: 0x10)
    public static let failed = NeighborState(rawValue: 0x20)
    public static let noARP = NeighborState(rawValue: 0x40)
    public static let permanent = NeighborState(rawValue: 0x80)

    private static let names: [(NeighborState, String)] = [
        (.incomplete, "INCOMPLETE"), (.reachable, "REACHABLE"), (.stale, "STALE"), (.delay, "DELAY"),
        (.probe, "PROBE"), (.failed, "FAILED"), (.noARP, "NOARP"), (.permanent, "PERMANENT"),
    ]

    /// iproute2's words (`PERMANENT`, `REACHABLE`), space separated; `NONE` when empty.
    public var description: String {
        let words = Self.names.filter { contains($0.0) }.map(\.1)
        return words.isEmpty ? "NONE" : words.joined(separator: " ")
    }
}

/// `NTF_*` neighbour flags.
public struct NeighborFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let use = NeighborFlags(rawValue: 0x01)
    /// `NTF_SELF`: the device's own table (a VXLAN device, or a bridge's self entries).
    public static let self_ = NeighborFlags(rawValue: 0x02)
    /// `NTF_MASTER`: the master bridge's table.
    public static let master = NeighborFlags(rawValue: 0x04)
    public static let proxy = NeighborFlags(rawValue: 0x08)
    public static let externLearned = NeighborFlags(rawValue: 0x10)
    public static let offloaded = NeighborFlags(rawValue: 0x20)
    public static let sticky = NeighborFlags(rawValue: 0x40)
    public static let router = NeighborFlags(rawValue: 0x80)
}
