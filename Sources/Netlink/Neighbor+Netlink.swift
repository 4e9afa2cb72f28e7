#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr

extension RTNetlink {
    /// Adds a neighbour; `EEXIST` when there is one. Equivalent to `ip neigh add IP lladdr MAC dev DEV nud STATE`.
    public func neighAdd(_ n: Neighbor) throws(NetlinkError) {
        try neighWrite(n, "RTM_NEWNEIGH", type: Int32(RTM_NEWNEIGH), flags: NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Adds or updates a neighbour. Equivalent to `ip neigh replace IP lladdr MAC dev DEV nud STATE`.
    public func neighReplace(_ n: Neighbor) throws(NetlinkError) {
        try neighWrite(n, "RTM_NEWNEIGH", type: Int32(RTM_NEWNEIGH), flags: NLM_F_CREATE | NLM_F_REPLACE)
    }

    /// Deletes a neighbour (`ENOENT` when missing). Equivalent to `ip neigh del IP dev DEV`.
    public func neighDel(_ address: IPAddress, index: Int) throws(NetlinkError) {
        try neighWrite(Neighbor(address: address, index: index, state: []), "RTM_DELNEIGH",
                       type: Int32(RTM_DELNEIGH), flags: 0)
    }

    /// Neighbours of one family (both when nil), optionally of one interface, in every state.
    /// Equivalent to `ip [-4|-6] neigh show [dev DEV] nud all`.
    public func neighList(family: IPFamily? = nil, index: Int? = nil) throws(NetlinkError) -> [Neighbor] {
        var result: [Neighbor] = []
        try neighDump(family: Int32(family?.rawValue ?? Int(AF_UNSPEC))) { msg in
            guard let n = Neighbor(parsing: msg) else { return }
            if let family, n.family != family { return }
            if let index, n.index != index { return }
            result.append(n)
        }
        return result
    }

    /// Adds an FDB entry; `EEXIST` when there is one.
    /// Equivalent to `bridge fdb add MAC dev DEV [dst IP] [vlan V] self|master permanent`.
    public func fdbAdd(_ e: FDBEntry) throws(NetlinkError) {
        try fdbWrite(e, "RTM_NEWNEIGH", type: Int32(RTM_NEWNEIGH), flags: NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Adds another entry for the same MAC (a VXLAN device floods all-zero MAC entries to
    /// every `dst`). Equivalent to `bridge fdb append MAC dev DEV dst IP self permanent`.
    public func fdbAppend(_ e: FDBEntry) throws(NetlinkError) {
        try fdbWrite(e, "RTM_NEWNEIGH", type: Int32(RTM_NEWNEIGH), flags: NLM_F_CREATE | NLM_F_APPEND)
    }

    /// Adds or updates an FDB entry. Equivalent to `bridge fdb replace MAC dev DEV …`.
    public func fdbReplace(_ e: FDBEntry) throws(NetlinkError) {
        try fdbWrite(e, "RTM_NEWNEIGH", type: Int32(RTM_NEWNEIGH), flags: NLM_F_CREATE | NLM_F_REPLACE)
    }

    /// Deletes an FDB entry (matching `destination` too, for VXLAN).
    /// Equivalent to `bridge fdb del MAC dev DEV [dst IP] self|master`.
    public func fdbDel(_ e: FDBEntry) throws(NetlinkError) {
        try fdbWrite(e, "RTM_DELNEIGH", type: Int32(RTM_DELNEIGH), flags: 0)
    }

    /// FDB entries, optionally only those of one port/device (`ndm_ifindex`) or of one bridge
    /// (`NDA_MASTER`). Equivalent to `bridge fdb show [dev DEV] [br BRIDGE]`.
    public func fdbList(index: Int? = nil, masterIndex: Int? = nil) throws(NetlinkError) -> [FDBEntry] {
        var result: [FDBEntry] = []
        try neighDump(family: AF_BRIDGE) { msg in
            guard let e = FDBEntry(parsing: msg) else { return }
            if let index, e.index != index { return }
            if let masterIndex, e.masterIndex != masterIndex { return }
            result.append(e)
        }
        return result
    }

    private func neighDump(family: Int32, _ body: (Message) -> Void) throws(NetlinkError) {
        try execute("RTM_GETNEIGH", { "dump" }, flags: NLM_F_DUMP, type: Int32(RTM_GETNEIGH), build: { m in
            var h = ndmsg()
            h.ndm_family = UInt8(family)
            m.header(h)
        }, onMessage: body)
    }

    private func neighWrite(_ n: Neighbor, _ operation: String, type: Int32, flags: Int32) throws(NetlinkError) {
        try execute(operation, { "\(n.address) dev \(self.interfaceName(n.index))" }, flags: flags, type: type) { m in
            var h = ndmsg()
            h.ndm_family = UInt8(n.family.rawValue)
            h.ndm_ifindex = Int32(n.index)
            h.ndm_state = n.state.rawValue
            h.ndm_flags = n.flags.rawValue
            m.header(h)
            m.put(NDA_DST, address: n.address)
            if let mac = n.mac { m.put(NDA_LLADDR, mac: mac) }
        }
    }

    private func fdbWrite(_ e: FDBEntry, _ operation: String, type: Int32, flags: Int32) throws(NetlinkError) {
        try execute(operation, { e.describe { self.interfaceName($0) } }, flags: flags, type: type) { m in
            e.encode(m)
        }
    }
}

extension FDBEntry {
    func describe(_ name: (Int) -> String) -> String {
        var s = "\(mac) dev \(name(index))"
        if let destination { s += " dst \(destination)" }
        if let vlan { s += " vlan \(vlan)" }
        return s
    }

    func encode(_ m: MessageWriter) {
        var h = ndmsg()
        h.ndm_family = UInt8(AF_BRIDGE)
        h.ndm_ifindex = Int32(index)
        h.ndm_state = state.rawValue
        h.ndm_flags = flags.rawValue
        m.header(h)
        m.put(NDA_LLADDR, mac: mac)
        if let destination { m.put(NDA_DST, address: destination) }
        if let vlan { m.put(NDA_VLAN, vlan) }
        if let vni { m.put(NDA_VNI, vni) }
    }

    /// Decodes an `AF_BRIDGE` `RTM_NEWNEIGH`; nil for anything else.
    init?(parsing msg: Message) {
        guard msg.type == Int32(RTM_NEWNEIGH), let h = msg.header(ndmsg.self),
              Int32(h.ndm_family) == AF_BRIDGE else { return nil }
        var mac: MACAddress?, dst: IPAddress?, vlan: UInt16?, vni: UInt32?, master: Int?
        msg.forEachAttribute(after: ndmsg.self) { a in
            switch a.type {
            case NDA_LLADDR: mac = a.mac
            case NDA_DST: dst = a.address
            case NDA_VLAN: vlan = a.u16
            case NDA_VNI: vni = a.u32
            case NDA_MASTER: master = a.u32.map { Int($0) }
            default: break
            }
        }
        guard let mac else { return nil }
        self.init(mac: mac, index: Int(h.ndm_ifindex), destination: dst, vlan: vlan, vni: vni,
                  masterIndex: master, state: NeighborState(rawValue: h.ndm_state),
                  flags: NeighborFlags(rawValue: h.ndm_flags))
    }
}

extension Neighbor {
    /// Decodes an IPv4/IPv6 `RTM_NEWNEIGH`; nil for anything else.
    init?(parsing msg: Message) {
        guard msg.type == Int32(RTM_NEWNEIGH), let h = msg.header(ndmsg.self),
              IPFamily(rawValue: Int(h.ndm_family)) != nil else { return nil }
        var dst: IPAddress?, mac: MACAddress?
        msg.forEachAttribute(after: ndmsg.self) { a in
            switch a.type {
            case NDA_DST: dst = a.address
            case NDA_LLADDR: mac = a.mac
            default: break
            }
        }
        guard let dst else { return nil }
        self.init(address: dst, index: Int(h.ndm_ifindex), mac: mac, state: NeighborState(rawValue: h.ndm_state),
                  flags: NeighborFlags(rawValue: h.ndm_flags))
    }
}
