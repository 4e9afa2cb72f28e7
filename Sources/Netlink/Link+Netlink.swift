#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr
import NetNS

extension RTNetlink {
    // MARK: - Read

    /// The link with this index, or nil when there is none (`ENODEV`).
    /// Equivalent to `ip link show dev INDEX`.
    public func linkGet(index: Int) throws(NetlinkError) -> Link? {
        try linkGet("#\(index)") { m in
            m.header(ifinfomsg(ifi_family: UInt8(AF_UNSPEC), __ifi_pad: 0, ifi_type: 0,
                               ifi_index: Int32(index), ifi_flags: 0, ifi_change: 0))
            m.put(IFLA_EXT_MASK, UInt32(trellis_rtext_filter_skip_stats()))
        }
    }

    /// The link with this name, or nil when there is none (`ENODEV`).
    /// Equivalent to `ip link show dev NAME`.
    public func linkGet(named name: String) throws(NetlinkError) -> Link? {
        try validateName(name, "RTM_GETLINK")
        return try linkGet(name) { m in
            m.header(ifinfomsg())
            m.put(IFLA_IFNAME, string: name)
            m.put(IFLA_EXT_MASK, UInt32(trellis_rtext_filter_skip_stats()))
        }
    }

    private func linkGet(_ object: String, _ build: (MessageWriter) -> Void) throws(NetlinkError) -> Link? {
        var found: Link?
        do {
            try execute("RTM_GETLINK", { object }, type: Int32(RTM_GETLINK), build: build) { msg in
                found = Link(parsing: msg)
            }
        } catch where error.errno == ENODEV {
            return nil
        }
        return found
    }

    /// Every link in the socket's namespace, in index order. Equivalent to `ip link show`.
    public func linkList() throws(NetlinkError) -> [Link] {
        var links: [Link] = []
        try execute("RTM_GETLINK", { "dump" }, flags: NLM_F_DUMP, type: Int32(RTM_GETLINK), build: { m in
            m.header(ifinfomsg())
            m.put(IFLA_EXT_MASK, UInt32(trellis_rtext_filter_skip_stats()))
        }) { msg in
            if let link = Link(parsing: msg) { links.append(link) }
        }
        return links
    }

    // MARK: - Create and delete

    /// Creates a link. Equivalent to `ip link add NAME type KIND …`; for a veth,
    /// `ip link add NAME type veth peer name PEER netns NS`.
    public func linkAdd(_ spec: LinkSpec) throws(NetlinkError) {
        try validateName(spec.name, "RTM_NEWLINK")
        if case .veth(let peer) = spec.kind { try validateName(peer.name, "RTM_NEWLINK") }
        try execute("RTM_NEWLINK", { spec.name }, flags: NLM_F_CREATE | NLM_F_EXCL, type: Int32(RTM_NEWLINK)) { m in
            spec.encode(m)
        }
    }

    /// Deletes the link with this index. Equivalent to `ip link del dev INDEX`.
    public func linkDel(index: Int) throws(NetlinkError) {
        try execute("RTM_DELLINK", { "#\(index)" }, type: Int32(RTM_DELLINK)) { m in
            m.header(ifinfomsg(index: index))
        }
    }

    /// Deletes the link with this name. Equivalent to `ip link del NAME`.
    public func linkDel(named name: String) throws(NetlinkError) {
        try validateName(name, "RTM_DELLINK")
        try execute("RTM_DELLINK", { name }, type: Int32(RTM_DELLINK)) { m in
            m.header(ifinfomsg())
            m.put(IFLA_IFNAME, string: name)
        }
    }

    // MARK: - Change

    /// Equivalent to `ip link set dev INDEX up`.
    public func linkSetUp(index: Int) throws(NetlinkError) {
        try linkSet(index, "up", flags: UInt32(IFF_UP.rawValue), on: true)
    }

    /// Equivalent to `ip link set dev INDEX down`.
    public func linkSetDown(index: Int) throws(NetlinkError) {
        try linkSet(index, "down", flags: UInt32(IFF_UP.rawValue), on: false)
    }

    /// Equivalent to `ip link set dev INDEX promisc on|off`.
    public func linkSetPromisc(index: Int, _ on: Bool) throws(NetlinkError) {
        try linkSet(index, "promisc \(on ? "on" : "off")", flags: UInt32(IFF_PROMISC.rawValue), on: on)
    }

    /// Equivalent to `ip link set dev INDEX mtu MTU`.
    public func linkSetMTU(index: Int, _ mtu: Int) throws(NetlinkError) {
        try linkSet(index, "mtu \(mtu)") { $0.put(IFLA_MTU, UInt32(mtu)) }
    }

    /// Equivalent to `ip link set dev INDEX address MAC`.
    public func linkSetMAC(index: Int, _ mac: MACAddress) throws(NetlinkError) {
        try linkSet(index, "address \(mac)") { $0.put(IFLA_ADDRESS, mac: mac) }
    }

    /// Equivalent to `ip link set dev INDEX name NAME`.
    public func linkSetName(index: Int, _ name: String) throws(NetlinkError) {
        try validateName(name, "RTM_SETLINK")
        try linkSet(index, "name \(name)") { $0.put(IFLA_IFNAME, string: name) }
    }

    /// Equivalent to `ip link set dev INDEX master MASTER`.
    public func linkSetMaster(index: Int, masterIndex: Int) throws(NetlinkError) {
        try linkSet(index, "master #\(masterIndex)") { $0.put(IFLA_MASTER, UInt32(masterIndex)) }
    }

    /// Equivalent to `ip link set dev INDEX nomaster`.
    public func linkSetNoMaster(index: Int) throws(NetlinkError) {
        try linkSet(index, "nomaster") { $0.put(IFLA_MASTER, UInt32(0)) }
    }

    /// Moves the link into `netns`. Equivalent to `ip link set dev INDEX netns NS`.
    public func linkSetNetNS(index: Int, _ netns: NetNS) throws(NetlinkError) {
        try linkSet(index, "netns \(netns.path)") {
            $0.put(IFLA_NET_NS_FD, UInt32(bitPattern: netns.fileDescriptor))
        }
    }

    private func linkSet(_ index: Int, _ what: String, flags: UInt32, on: Bool) throws(NetlinkError) {
        try execute("RTM_SETLINK", { "#\(index) \(what)" }, type: Int32(RTM_SETLINK)) { m in
            var h = ifinfomsg(index: index)
            h.ifi_flags = on ? flags : 0
            h.ifi_change = flags
            m.header(h)
        }
    }

    private func linkSet(_ index: Int, _ what: String, _ attrs: (MessageWriter) -> Void) throws(NetlinkError) {
        try execute("RTM_SETLINK", { "#\(index) \(what)" }, type: Int32(RTM_SETLINK)) { m in
            m.header(ifinfomsg(index: index))
            attrs(m)
        }
    }

    /// Interface names are at most 15 bytes (`IFNAMSIZ` - 1) and contain no `/` or space.
    func validateName(_ name: String, _ operation: String) throws(NetlinkError) {
        let length = name.utf8.count
        let reserved = name == "." || name == ".."
        let badByte = name.utf8.contains { (b: UInt8) -> Bool in b == 0x2f || b == 0x20 || b == 0 }
        if length == 0 || length > 15 || reserved || badByte { throw NetlinkError(operation, "\"\(name)\"", errno: EINVAL, kernelMessage: "invalid interface name") }
    }
}

extension ifinfomsg {
    init(index: Int, family: Int32 = AF_UNSPEC) {
        self.init(ifi_family: UInt8(family), __ifi_pad: 0, ifi_type: 0, ifi_index: Int32(index),
                  ifi_flags: 0, ifi_change: 0)
    }
}

extension LinkSpec {
    /// `RTM_NEWLINK` body: ifinfomsg, common attributes, then `IFLA_LINKINFO`.
    func encode(_ m: MessageWriter) {
        m.header(ifinfomsg(index: 0))
        m.put(IFLA_IFNAME, string: name)
        if let mtu { m.put(IFLA_MTU, UInt32(mtu)) }
        if let mac { m.put(IFLA_ADDRESS, mac: mac) }
        if let masterIndex { m.put(IFLA_MASTER, UInt32(masterIndex)) }
        m.nest(IFLA_LINKINFO) {
            m.put(IFLA_INFO_KIND, string: kind.name)
            switch kind {
            case .dummy:
                break
            case .bridge(let vlanFiltering):
                guard let vlanFiltering else { break }
                m.nest(IFLA_INFO_DATA) {
                    m.put(IFLA_BR_VLAN_FILTERING, UInt8(vlanFiltering ? 1 : 0))
                }
            case .veth(let peer):
                m.nest(IFLA_INFO_DATA) {
                    m.nest(VETH_INFO_PEER) {
                        // The peer nest opens with its own ifinfomsg, as in RTM_NEWLINK.
                        m.header(ifinfomsg(index: 0))
                        m.put(IFLA_IFNAME, string: peer.name)
                        if let mtu = peer.mtu { m.put(IFLA_MTU, UInt32(mtu)) }
                        if let mac = peer.mac { m.put(IFLA_ADDRESS, mac: mac) }
                        if let ns = peer.netns {
                            m.put(IFLA_NET_NS_FD, UInt32(bitPattern: ns.fileDescriptor))
                        }
                    }
                }
            case .vxlan(let o):
                m.nest(IFLA_INFO_DATA) { o.encode(m) }
            }
        }
    }
}

extension VXLANOptions {
    func encode(_ m: MessageWriter) {
        m.put(IFLA_VXLAN_ID, vni)
        switch local {
        case .v4?: m.put(IFLA_VXLAN_LOCAL, address: local!)
        case .v6?: m.put(IFLA_VXLAN_LOCAL6, address: local!)
        case nil: break
        }
        if let underlayIndex { m.put(IFLA_VXLAN_LINK, UInt32(underlayIndex)) }
        if let port { m.put(IFLA_VXLAN_PORT, bigEndian: port) }
        if let learning { m.put(IFLA_VXLAN_LEARNING, UInt8(learning ? 1 : 0)) }
        if let ttl { m.put(IFLA_VXLAN_TTL, ttl) }
    }
}

extension Link {
    /// Decodes an `RTM_NEWLINK` message; nil for anything else.
    init?(parsing msg: Message) {
        guard msg.type == Int32(RTM_NEWLINK), let h = msg.header(ifinfomsg.self) else { return nil }
        self.init(index: Int(h.ifi_index), name: "", flags: h.ifi_flags)
        msg.forEachAttribute(after: ifinfomsg.self) { a in
            switch a.type {
            case IFLA_IFNAME: name = a.string
            case IFLA_MTU: mtu = Int(a.u32 ?? 0)
            case IFLA_ADDRESS: mac = a.mac
            case IFLA_OPERSTATE: operState = a.u8.flatMap(OperState.init(rawValue:)) ?? .unknown
            case IFLA_MASTER: masterIndex = a.u32.map { Int($0) }
            case IFLA_LINK: parentIndex = a.i32.map { Int($0) }
            case IFLA_LINK_NETNSID: linkNetnsID = a.i32.map { Int($0) }
            case IFLA_LINKINFO: parseLinkInfo(a)
            default: break
            }
        }
    }

    private mutating func parseLinkInfo(_ info: Attribute) {
        var slaveKind: String?
        info.forEachNested { a in
            switch a.type {
            case IFLA_INFO_KIND: kind = a.string
            case IFLA_INFO_SLAVE_KIND: slaveKind = a.string
            case IFLA_INFO_SLAVE_DATA:
                a.forEachNested { d in
                    if d.type == IFLA_BRPORT_MODE, let v = d.u8 { hairpin = v != 0 }
                }
            default: break
            }
        }
        // The kernel emits IFLA_INFO_SLAVE_KIND before the data; only bridge ports have a mode.
        if slaveKind != nil && slaveKind != "bridge" { hairpin = nil }
    }
}
