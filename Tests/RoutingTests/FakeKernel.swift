import NetAddr
import Netlink
import Routing

/// An in-memory `RoutingKernel`: links, addresses, routes, neighbours and FDB entries, with a
/// log of every write in order and an optional failure injected on a matching write.
final class FakeKernel: RoutingKernel, @unchecked Sendable {
    var links: [Link] = [Link(index: 1, name: "lo", mtu: 65536, flags: 1), Link(index: 2, name: "eth0", kind: "veth", mtu: 1500, flags: 1)]
    var addresses: [Address] = [Address(prefix: IPPrefix("10.0.0.1/24")!, index: 2)]
    var routes: [Route] = []
    var neighbors: [Neighbor] = []
    var fdb: [FDBEntry] = []
    var log: [String] = []
    /// Writes whose log line starts with this fail with EPERM.
    var failing: String?

    private func write(_ line: String) throws(NetlinkError) {
        log.append(line)
        if let failing, line.hasPrefix(failing) { throw NetlinkError("fake", line, errno: 1) }
    }

    func linkGet(named name: String) throws(NetlinkError) -> Link? { links.first { $0.name == name } }
    func linkGet(index: Int) throws(NetlinkError) -> Link? { links.first { $0.index == index } }
    func linkAdd(_ spec: LinkSpec) throws(NetlinkError) {
        try write("link add \(spec.name)")
        links.append(Link(index: (links.map(\.index).max() ?? 0) + 1, name: spec.name, kind: "vxlan", mtu: spec.mtu ?? 1500, mac: spec.mac))
    }
    func linkDel(index: Int) throws(NetlinkError) {
        try write("link del #\(index)")
        links.removeAll { $0.index == index }
        routes.removeAll { $0.outputIndex == index }
        neighbors.removeAll { $0.index == index }
        fdb.removeAll { $0.index == index }
    }
    func linkSetMTU(index: Int, _ mtu: Int) throws(NetlinkError) {
        try write("link set #\(index) mtu \(mtu)")
        if let i = links.firstIndex(where: { $0.index == index }) { links[i].mtu = mtu }
    }
    func linkSetMAC(index: Int, _ mac: MACAddress) throws(NetlinkError) {
        try write("link set #\(index) address \(mac)")
        if let i = links.firstIndex(where: { $0.index == index }) { links[i].mac = mac }
    }
    func linkSetUp(index: Int) throws(NetlinkError) {
        try write("link set #\(index) up")
        if let i = links.firstIndex(where: { $0.index == index }) { links[i].flags |= 1 }
    }
    func addrList(family: IPFamily?, index: Int?) throws(NetlinkError) -> [Address] {
        addresses.filter { (family == nil || $0.family == family) && (index == nil || $0.index == index) }
    }
    func addrAdd(_ prefix: IPPrefix, index: Int, noDAD: Bool, label: String?, scope: Scope) throws(NetlinkError) {
        try write("addr add \(prefix) dev #\(index)")
        addresses.append(Address(prefix: prefix, index: index))
    }
    func addrDel(_ prefix: IPPrefix, index: Int) throws(NetlinkError) {
        try write("addr del \(prefix) dev #\(index)")
        addresses.removeAll { $0.prefix == prefix && $0.index == index }
    }
    func routeList(family: IPFamily?, table: UInt32?) throws(NetlinkError) -> [Route] { routes }
    func routeReplace(_ route: Route) throws(NetlinkError) {
        try write("route replace \(route) proto \(route.proto)")
        routes.removeAll { $0.destination == route.destination }
        routes.append(route)
    }
    func routeDel(_ route: Route) throws(NetlinkError) {
        try write("route del \(route.destination)")
        guard routes.contains(where: { $0.destination == route.destination }) else { throw NetlinkError("RTM_DELROUTE", "", errno: 3) }
        routes.removeAll { $0.destination == route.destination }
    }
    func neighList(family: IPFamily?, index: Int?) throws(NetlinkError) -> [Neighbor] {
        neighbors.filter { index == nil || $0.index == index }
    }
    func neighReplace(_ n: Neighbor) throws(NetlinkError) {
        try write("neigh replace \(n.address) lladdr \(n.mac!)")
        neighbors.removeAll { $0.address == n.address && $0.index == n.index }
        neighbors.append(n)
    }
    func neighDel(_ address: IPAddress, index: Int) throws(NetlinkError) {
        try write("neigh del \(address)")
        neighbors.removeAll { $0.address == address && $0.index == index }
    }
    func fdbList(index: Int?, masterIndex: Int?) throws(NetlinkError) -> [FDBEntry] {
        fdb.filter { index == nil || $0.index == index }
    }
    func fdbReplace(_ e: FDBEntry) throws(NetlinkError) {
        try write("fdb replace \(e.mac) dst \(e.destination!)")
        fdb.removeAll { $0.mac == e.mac && $0.index == e.index }
        fdb.append(e)
    }
    func fdbDel(_ e: FDBEntry) throws(NetlinkError) {
        try write("fdb del \(e.mac) dst \(e.destination!)")
        fdb.removeAll { $0.mac == e.mac && $0.destination == e.destination && $0.index == e.index }
    }
}
