import NetAddr
import Netlink

/// The rtnetlink verbs the reconciler uses: `RTNetlink` itself, or a fake in tests.
/// Each requirement has the same signature as the `RTNetlink` method of the same name.
public protocol RoutingKernel: AnyObject, Sendable {
    func linkGet(named name: String) throws(NetlinkError) -> Link?
    func linkGet(index: Int) throws(NetlinkError) -> Link?
    func linkAdd(_ spec: LinkSpec) throws(NetlinkError)
    func linkDel(index: Int) throws(NetlinkError)
    func linkSetMTU(index: Int, _ mtu: Int) throws(NetlinkError)
    func linkSetMAC(index: Int, _ mac: MACAddress) throws(NetlinkError)
    func linkSetUp(index: Int) throws(NetlinkError)
    func addrList(family: IPFamily?, index: Int?) throws(NetlinkError) -> [Address]
    func addrAdd(_ prefix: IPPrefix, index: Int, noDAD: Bool, label: String?, scope: Scope) throws(NetlinkError)
    func addrDel(_ prefix: IPPrefix, index: Int) throws(NetlinkError)
    func routeList(family: IPFamily?, table: UInt32?) throws(NetlinkError) -> [Route]
    func routeReplace(_ route: Route) throws(NetlinkError)
    func routeDel(_ route: Route) throws(NetlinkError)
    func neighList(family: IPFamily?, index: Int?) throws(NetlinkError) -> [Neighbor]
    func neighReplace(_ n: Neighbor) throws(NetlinkError)
    func neighDel(_ address: IPAddress, index: Int) throws(NetlinkError)
    func fdbList(index: Int?, masterIndex: Int?) throws(NetlinkError) -> [FDBEntry]
    func fdbReplace(_ e: FDBEntry) throws(NetlinkError)
    func fdbDel(_ e: FDBEntry) throws(NetlinkError)
}

extension RTNetlink: RoutingKernel {}

extension Uplink {
    /// The interface named `name`, or else the one holding one of `nodeIPs`, with its MTU
    /// and global addresses.
    public static func discover(_ kernel: some RoutingKernel, nodeIPs: [IPAddress],
                                name: String? = nil) throws(RoutingError) -> Uplink {
        let object = name ?? nodeIPs.map(\.description).joined(separator: ",")
        func kernelCall<T>(_ body: () throws(NetlinkError) -> T) throws(RoutingError) -> T {
            do { return try body() } catch { throw RoutingError("find uplink", object, "\(error)") }
        }
        let all = try kernelCall { () throws(NetlinkError) in try kernel.addrList(family: nil, index: nil) }
        let link: Link?
        if let name {
            link = try kernelCall { () throws(NetlinkError) in try kernel.linkGet(named: name) }
        } else if let index = all.first(where: { nodeIPs.contains($0.prefix.address) })?.index {
            link = try kernelCall { () throws(NetlinkError) in try kernel.linkGet(index: index) }
        } else {
            throw RoutingError("find uplink", object, "no interface has this node's IP (set --iface)")
        }
        guard let link else { throw RoutingError("find uplink", object, "no such interface") }
        let global = all.filter { $0.index == link.index && $0.scope == .universe }
        return Uplink(name: link.name, mtu: link.mtu, addresses: global.map(\.prefix))
    }
}
