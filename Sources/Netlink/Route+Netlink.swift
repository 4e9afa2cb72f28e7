#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr

extension RTNetlink {
    /// Adds a route; fails with `EEXIST` when one with the same key exists.
    /// Equivalent to `ip route add …`.
    public func routeAdd(_ route: Route) throws(NetlinkError) {
        try routeWrite(route, "RTM_NEWROUTE", type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Adds a route or replaces the one with the same key (destination, table, metric, tos).
    /// Equivalent to `ip route replace …`.
    public func routeReplace(_ route: Route) throws(NetlinkError) {
        try routeWrite(route, "RTM_NEWROUTE", type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | NLM_F_REPLACE)
    }

    /// Deletes the route matching the given fields (unset fields match anything; `ESRCH` when
    /// none matches). Equivalent to `ip route del …`.
    public func routeDel(_ route: Route) throws(NetlinkError) {
        try routeWrite(route, "RTM_DELROUTE", type: Int32(RTM_DELROUTE), flags: 0)
    }

    /// Routes of one family (both when nil) in one table (all tables when nil), without
    /// cloned/cache entries. Equivalent to `ip [-4|-6] route show table TABLE`.
    public func routeList(family: IPFamily? = nil, table: UInt32? = Route.mainTable) throws(NetlinkError) -> [Route] {
        var result: [Route] = []
        try execute("RTM_GETROUTE", { "dump" }, flags: NLM_F_DUMP, type: Int32(RTM_GETROUTE), build: { m in
            var h = rtmsg()
            h.rtm_family = UInt8(family?.rawValue ?? Int(AF_UNSPEC))
            m.header(h)
        }) { msg in
            guard let r = Route(parsing: msg) else { return }
            if let table, r.table != table { return }
            result.append(r)
        }
        return result
    }

    private func routeWrite(_ route: Route, _ operation: String, type: Int32, flags: Int32) throws(NetlinkError) {
        if let g = route.gateway, g.family != route.family {
            throw NetlinkError(operation, route.description, errno: EINVAL, kernelMessage: "gateway family differs from destination")
        }
        try execute(operation, { route.describe { self.interfaceName($0) } }, flags: flags, type: type) { m in
            route.encode(m, delete: type == Int32(RTM_DELROUTE))
        }
    }
}

extension Route {
    func encode(_ m: MessageWriter, delete: Bool = false) {
        var h = rtmsg()
        h.rtm_family = UInt8(family.rawValue)
        h.rtm_dst_len = UInt8(destination.length)
        h.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        // As iproute2: a delete leaves protocol and scope as wildcards unless given.
        h.rtm_protocol = delete ? (proto == .boot ? 0 : proto.rawValue) : proto.rawValue
        h.rtm_scope = delete ? (scope ?? .nowhere).rawValue : effectiveScope.rawValue
        h.rtm_type = type.rawValue
        if isOnLink { h.rtm_flags |= UInt32(RTNH_F_ONLINK) }
        m.header(h)
        m.put(Int32(RTA_TABLE.rawValue), table)
        if destination.length > 0 { m.put(Int32(RTA_DST.rawValue), address: destination.address) }
        if let gateway { m.put(Int32(RTA_GATEWAY.rawValue), address: gateway) }
        if let outputIndex { m.put(Int32(RTA_OIF.rawValue), UInt32(outputIndex)) }
        if let metric { m.put(Int32(RTA_PRIORITY.rawValue), metric) }
        if let preferredSource { m.put(Int32(RTA_PREFSRC.rawValue), address: preferredSource) }
        if let mtu {
            m.nest(Int32(RTA_METRICS.rawValue)) { m.put(RTAX_MTU, mtu) }
        }
    }

    /// Decodes an `RTM_NEWROUTE` message; nil for anything else and for cloned (cache) routes.
    init?(parsing msg: Message) {
        guard msg.type == Int32(RTM_NEWROUTE), let h = msg.header(rtmsg.self),
              h.rtm_flags & UInt32(RTM_F_CLONED) == 0,
              let family = IPFamily(rawValue: Int(h.rtm_family)) else { return nil }
        var dst: IPAddress?
        self.init(destination: IPPrefix(address: IPAddress(family: family, integer: 0), length: 0),
                  isOnLink: h.rtm_flags & UInt32(RTNH_F_ONLINK) != 0, table: UInt32(h.rtm_table),
                  scope: Scope(rawValue: h.rtm_scope), proto: RouteProtocol(rawValue: h.rtm_protocol),
                  type: RouteType(rawValue: h.rtm_type))
        msg.forEachAttribute(after: rtmsg.self) { a in
            switch a.type {
            case Int(RTA_DST.rawValue): dst = a.address
            case Int(RTA_GATEWAY.rawValue): gateway = a.address
            case Int(RTA_OIF.rawValue): outputIndex = a.u32.map { Int($0) }
            case Int(RTA_PRIORITY.rawValue): metric = a.u32
            case Int(RTA_TABLE.rawValue): table = a.u32 ?? table
            case Int(RTA_PREFSRC.rawValue): preferredSource = a.address
            case Int(RTA_METRICS.rawValue):
                a.forEachNested { x in if x.type == RTAX_MTU { mtu = x.u32 } }
            default: break
            }
        }
        if let dst, dst.family == family, Int(h.rtm_dst_len) <= dst.bitWidth {
            destination = IPPrefix(address: dst, length: Int(h.rtm_dst_len))
        }
    }
}
