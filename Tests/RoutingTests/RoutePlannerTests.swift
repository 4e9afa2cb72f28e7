import KubeAPI
import NetAddr
import Routing
import Testing

/// Node objects as the API server would hold them.
func node(_ name: String, cidrs: [String], ips: [String], mac: String? = nil, annotations: [String: String] = [:]) -> Node {
    var n = Node()
    n.metadata.name = name
    var a = annotations
    if let mac { a[NodeAnnotation.vtepMAC] = mac }
    if !a.isEmpty { n.metadata.annotations = a }
    var spec = NodeSpec()
    spec.podCIDR = cidrs.first
    spec.podCIDRs = cidrs
    n.spec = spec
    var status = NodeStatus()
    status.addresses = ips.map { NodeAddress(type: "InternalIP", address: $0) } + [NodeAddress(type: "Hostname", address: name)]
    n.status = status
    return n
}

let mac1 = MACAddress("0a:00:00:00:00:01")!
let eth0 = Uplink(name: "eth0", mtu: 1500, addresses: [IPPrefix("10.0.0.1/24")!, IPPrefix("fd00:1::1/64")!])

/// n1 (us), n2 on-link, n3 on another subnet.
let cluster: [Node] = [
    node("n1", cidrs: ["10.244.1.0/24", "fd10:244:1::/64"], ips: ["10.0.0.1", "fd00:1::1"], mac: "0a:00:00:00:00:01"),
    node("n2", cidrs: ["10.244.2.0/24", "fd10:244:2::/64"], ips: ["10.0.0.2", "fd00:1::2"], mac: "0a:00:00:00:00:02"),
    node("n3", cidrs: ["10.244.3.0/24", "fd10:244:3::/64"], ips: ["10.9.0.3", "fd00:9::3"], mac: "0a:00:00:00:00:03"),
]

func plan(_ mode: RoutingMode, _ nodes: [Node] = cluster, uplink: Uplink = eth0, vni: UInt32 = 1) throws -> RoutingPlan {
    let infos = nodes.map(NodeInfo.init)
    return try RoutePlanner.plan(config: RoutingConfig(mode: mode, nodeName: "n1", vni: vni), uplink: uplink,
                                 local: infos.first { $0.name == "n1" }!, vtepMAC: mac1, peers: infos)
}

@Suite struct RoutePlannerTests {
    @Test(arguments: [RoutingMode.hostGW, .vxlan, .hybrid])
    func goldenDualStack(mode: RoutingMode) throws {
        try expectGolden(plan(mode).description, "dualstack-\(mode)")
    }

    @Test func hostGWNamesThePeerThatIsNotOnLink() throws {
        let p = try plan(.hostGW)
        #expect(p.routes.map(\.node).allSatisfy { $0 == "n2" })
        #expect(p.routes.count == 2)
        let problem = try #require(p.problems.first { $0.node == "n3" })
        #expect(problem.description.contains("node n3: node IP 10.9.0.3 is not on-link on eth0 (10.0.0.0/24)"))
        #expect(p.vtep == nil)
        #expect(p.podMTU == 1500)
    }

    @Test func vxlanMTUFollowsTheUnderlayFamily() throws {
        let v4 = try plan(.vxlan)
        #expect(v4.vtep?.mtu == 1450)
        #expect(v4.podMTU == 1450)
        let v6nodes = [
            node("n1", cidrs: ["10.244.1.0/24"], ips: ["fd00:1::1"]),
            node("n2", cidrs: ["10.244.2.0/24"], ips: ["fd00:1::2"], mac: "0a:00:00:00:00:02"),
        ]
        let v6 = try plan(.vxlan, v6nodes, uplink: Uplink(name: "eth0", mtu: 9000, addresses: [IPPrefix("fd00:1::1/64")!]))
        #expect(v6.vtep?.mtu == 8930)
        #expect(v6.fdb.map(\.destination) == [IPAddress("fd00:1::2")!])
        #expect(v6.routes.map(\.description) == ["route 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink # n2"])
    }

    @Test func vxlanWaitsForThePeersMAC() throws {
        var nodes = cluster
        nodes[2].metadata.annotations = nil
        let p = try plan(.vxlan, nodes)
        #expect(!p.routes.contains { $0.node == "n3" })
        #expect(p.problems.map(\.node) == ["n3"])
        #expect(p.problems[0].reason.contains(NodeAnnotation.vtepMAC))
    }

    @Test func hybridUsesVXLANForAFamilyWithoutADirectPath() throws {
        // n2 is on-link but has no IPv6 node address: its IPv6 pods go through the tunnel.
        let nodes = [cluster[0], node("n2", cidrs: ["10.244.2.0/24", "fd10:244:2::/64"], ips: ["10.0.0.2"], mac: "0a:00:00:00:00:02")]
        let p = try plan(.hybrid, nodes)
        #expect(p.routes.map(\.description) == [
            "route 10.244.2.0/24 via 10.0.0.2 dev eth0 # n2",
            "route fd10:244:2::/64 via fd10:244:2:: dev trellis.vxlan onlink # n2",
        ])
        #expect(p.fdb.map(\.destination) == [IPAddress("10.0.0.2")!])
    }

    @Test func peersWithoutPodCIDRsOrOverlappingOnesAreProblems() throws {
        let nodes = [cluster[0], node("n4", cidrs: [], ips: ["10.0.0.4"]), node("n5", cidrs: ["10.244.1.0/25"], ips: ["10.0.0.5"])]
        let p = try plan(.hostGW, nodes)
        #expect(p.routes.isEmpty)
        #expect(p.problems.map(\.description) == [
            "node n4: no podCIDR in spec yet",
            "node n5: podCIDR 10.244.1.0/25 overlaps this node's 10.244.1.0/24",
        ])
    }

    @Test func thisNodeWithoutPodCIDRIsAnError() throws {
        #expect(throws: RoutingError("plan", "node n1", "no podCIDR in spec yet")) {
            try plan(.vxlan, [node("n1", cidrs: [], ips: ["10.0.0.1"])])
        }
    }

    @Test func annotationsOverrideInternalIP() {
        let n = node("n2", cidrs: ["10.244.2.0/24"], ips: ["10.0.0.2"], annotations: [NodeAnnotation.publicIP: "192.168.7.2"])
        #expect(NodeInfo(n).publicIPs == [IPAddress("192.168.7.2")!])
        var legacy = Node()
        legacy.metadata.name = "old"
        legacy.spec = NodeSpec()
        legacy.spec?.podCIDR = "10.244.9.7/24"
        #expect(NodeInfo(legacy).podCIDRs == [IPPrefix("10.244.9.0/24")!])
    }
}
