import Foundation
import NetAddr
import NetNS
import Netlink
import Testing
import TestSupport

@Suite(.enabled(if: isRoot, kernelReason))
struct RouteTests {
    /// A namespace with `a0` up and 10.1.0.1/24, fd00:1::1/64 on it.
    func setUp() throws -> (ScratchNamespace, RTNetlink, Int) {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let a0 = try nl.index("a0")
        try nl.linkSetUp(index: a0)
        try nl.linkSetUp(index: try nl.index("b0"))
        try nl.addrAdd(IPPrefix("10.1.0.1/24")!, index: a0)
        try nl.addrAdd(IPPrefix("fd00:1::1/64")!, index: a0, noDAD: true)
        return (ns, nl, a0)
    }

    /// `ip -j route` entries as `dst gateway dev metric mtu onlink` text.
    func ipRoutes(_ ns: ScratchNamespace, _ args: [String], family: String = "-4") throws -> Set<String> {
        Set(try ns.ipJSON([family, "route", "show"] + args).map { r in
            let mtu = (r["metrics"] as? [[String: Any]])?.first?["mtu"] as? Int
            let onlink = (r["flags"] as? [String])?.contains("onlink") == true
            return "\(r["dst"]!) \(r["gateway"] ?? "-") \(r["dev"] ?? "-") \(r["metric"] ?? 0) \(mtu ?? 0) \(onlink)"
        })
    }

    func ours(_ nl: RTNetlink, _ family: IPFamily, table: UInt32 = Route.mainTable) throws -> Set<String> {
        let names = Dictionary(uniqueKeysWithValues: try nl.linkList().map { ($0.index, $0.name) })
        return Set(try nl.routeList(family: family, table: table).map { r in
            let dst = r.isDefault ? "default" : (r.destination.isHost ? "\(r.destination.address)" : "\(r.destination)")
            return "\(dst) \(r.gateway.map { "\($0)" } ?? "-") \(r.outputIndex.flatMap { names[$0] } ?? "-") \(r.metric ?? 0) \(r.mtu ?? 0) \(r.isOnLink)"
        })
    }

    @Test func addListOnlinkTableMetricMTU() throws {
        let (ns, nl, a0) = try setUp()
        try nl.routeAdd(Route(destination: IPPrefix("10.2.0.0/24")!, gateway: IPAddress("10.1.0.254")!, outputIndex: a0))
        try nl.routeAdd(Route(destination: IPPrefix("10.3.0.0/24")!, gateway: IPAddress("192.168.9.1")!,
                              outputIndex: a0, isOnLink: true, metric: 5, mtu: 1400))
        try nl.routeAdd(Route(destination: IPPrefix("10.4.0.0/16")!, outputIndex: a0, metric: 50))
        try nl.routeAdd(Route(destination: IPPrefix("0.0.0.0/0")!, gateway: IPAddress("10.1.0.254")!, table: 100))
        try nl.routeAdd(Route(destination: IPPrefix("0.0.0.0/0")!, gateway: IPAddress("10.1.0.253")!, table: 1000))
        try nl.routeAdd(Route(destination: IPPrefix("fd00:2::/64")!, gateway: IPAddress("fd00:1::fe")!, outputIndex: a0, metric: 7))

        #expect(try ours(nl, .v4) == ipRoutes(ns, ["table", "main"]))
        #expect(try ours(nl, .v4, table: 100) == ipRoutes(ns, ["table", "100"]))
        #expect(try ours(nl, .v4, table: 1000) == ipRoutes(ns, ["table", "1000"]))
        #expect(try ours(nl, .v6) == ipRoutes(ns, ["table", "main"], family: "-6"))

        let onlink = try #require(try nl.routeList(family: .v4).first { $0.destination == IPPrefix("10.3.0.0/24") })
        #expect(onlink.isOnLink && onlink.mtu == 1400 && onlink.metric == 5 && onlink.proto == .boot)
        let direct = try #require(try nl.routeList(family: .v4).first { $0.destination == IPPrefix("10.4.0.0/16") })
        #expect(direct.scope == .link)
        #expect(try nl.routeList(family: .v4, table: 1000).first?.table == 1000)
        #expect(try nl.routeList(family: .v4, table: nil).contains { $0.table == Route.localTable && $0.type == .local })
    }

    @Test func duplicateReplaceAndDelete() throws {
        let (ns, nl, a0) = try setUp()
        let route = Route(destination: IPPrefix("10.0.0.0/24")!, gateway: IPAddress("10.1.0.1")!, outputIndex: a0)
        try nl.routeAdd(route)
        let dup = failure { () throws(NetlinkError) in try nl.routeAdd(route) }
        #expect(dup?.errno == EEXIST)
        #expect(dup?.description == "RTM_NEWROUTE 10.0.0.0/24 via 10.1.0.1 dev a0: File exists")

        var moved = route
        moved.gateway = IPAddress("10.1.0.2")!
        try nl.routeReplace(moved)
        let shown = try ns.ipJSON(["route", "show", "10.0.0.0/24"])
        #expect(shown.count == 1)
        #expect(shown.first?["gateway"] as? String == "10.1.0.2")
        try nl.routeReplace(moved)  // idempotent
        #expect(try nl.routeList(family: .v4).filter { $0.destination == route.destination }.count == 1)

        try nl.routeDel(Route(destination: IPPrefix("10.0.0.0/24")!))
        #expect(try ns.ipJSON(["route", "show", "10.0.0.0/24"]).isEmpty)
        let missing = failure { () throws(NetlinkError) in try nl.routeDel(route) }
        #expect(missing?.errno == ESRCH)
        #expect(missing?.isNotFound == true)
    }

    @Test func blackholeAndUnreachable() throws {
        let (ns, nl, _) = try setUp()
        try nl.routeAdd(Route(destination: IPPrefix("10.9.0.0/16")!, type: .blackhole))
        try nl.routeAdd(Route(destination: IPPrefix("fd00:9::/48")!, type: .unreachable))
        #expect(try ns.ipJSON(["route", "show", "10.9.0.0/16"]).first?["type"] as? String == "blackhole")
        #expect(try ns.ipJSON(["-6", "route", "show", "fd00:9::/48"]).first?["type"] as? String == "unreachable")
        #expect(try nl.routeList(family: .v4).first { $0.destination == IPPrefix("10.9.0.0/16") }?.type == .blackhole)
        #expect(try nl.routeList(family: .v6).first { $0.destination == IPPrefix("fd00:9::/48") }?.type == .unreachable)
    }
}
