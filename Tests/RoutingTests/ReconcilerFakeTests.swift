import KubeAPI
import NetAddr
import Netlink
import Routing
import Testing

@Suite struct ReconcilerFakeTests {
    let uplink = Uplink(name: "eth0", mtu: 1500, addresses: [IPPrefix("10.0.0.1/24")!])
    let nodes = [
        node("n1", cidrs: ["10.244.1.0/24"], ips: ["10.0.0.1"]),
        node("n2", cidrs: ["10.244.2.0/24"], ips: ["10.0.0.2"], mac: "0a:00:00:00:00:02"),
    ]

    func plan(_ mode: RoutingMode, _ nodes: [Node]) throws -> RoutingPlan {
        let infos = nodes.map(NodeInfo.init)
        return try RoutePlanner.plan(config: RoutingConfig(mode: mode, nodeName: "n1"), uplink: uplink,
                                     local: infos[0], vtepMAC: mac1, peers: infos)
    }

    @Test func addsFDBAndNeighbourBeforeTheRouteAndDeletesInReverse() throws {
        let kernel = FakeKernel()
        let r = RoutingReconciler(kernel: kernel, config: RoutingConfig(mode: .vxlan, nodeName: "n1"))
        let report = r.apply(try plan(.vxlan, nodes))
        #expect(report.errors.isEmpty)
        #expect(kernel.log == [
            "link add trellis.vxlan", "link set #3 up", "addr add 10.244.1.0/32 dev #3",
            "fdb replace 0a:00:00:00:00:02 dst 10.0.0.2",
            "neigh replace 10.244.2.0 lladdr 0a:00:00:00:00:02",
            "route replace 10.244.2.0/24 via 10.244.2.0 dev #3 onlink proto 84",
        ])
        // Idempotent: a second pass writes nothing.
        kernel.log = []
        #expect(r.apply(try plan(.vxlan, nodes)).changes.isEmpty)
        #expect(kernel.log.isEmpty)
        // n2 goes away: route first, then neighbour, then FDB.
        _ = r.apply(try plan(.vxlan, [nodes[0]]))
        #expect(kernel.log == ["route del 10.244.2.0/24", "neigh del 10.244.2.0", "fdb del 0a:00:00:00:00:02 dst 10.0.0.2"])
    }

    @Test func leavesRoutesOfOtherProtocolsAlone() throws {
        let kernel = FakeKernel()
        kernel.routes = [Route(destination: IPPrefix("10.99.0.0/16")!, gateway: IPAddress("10.0.0.9"), outputIndex: 2, proto: .static),
                         Route(destination: IPPrefix("10.244.7.0/24")!, gateway: IPAddress("10.0.0.7"), outputIndex: 2,
                               proto: RouteProtocol(rawValue: 84))]
        let r = RoutingReconciler(kernel: kernel, config: RoutingConfig(mode: .hostGW, nodeName: "n1"))
        let report = r.apply(try plan(.hostGW, nodes))
        #expect(report.changes == ["add route 10.244.2.0/24 via 10.0.0.2 dev eth0", "del route 10.244.7.0/24"])
        #expect(kernel.routes.map(\.destination.description).sorted() == ["10.244.2.0/24", "10.99.0.0/16"])
    }

    @Test func aFailedWriteIsReportedAndTheRestStillApplied() throws {
        let kernel = FakeKernel()
        kernel.failing = "neigh replace"
        let r = RoutingReconciler(kernel: kernel, config: RoutingConfig(mode: .vxlan, nodeName: "n1"))
        let report = r.apply(try plan(.vxlan, nodes))
        #expect(report.errors.count == 1)
        #expect(report.errors[0].description.hasPrefix("apply add neigh 10.244.2.0 lladdr 0a:00:00:00:00:02: fake"))
        // Level-triggered: once the kernel accepts it, the next pass completes the state.
        kernel.failing = nil
        #expect(r.apply(try plan(.vxlan, nodes)).changes == ["add neigh 10.244.2.0 lladdr 0a:00:00:00:00:02"])
    }

    @Test func switchingToHostGWRemovesTheVTEP() throws {
        let kernel = FakeKernel()
        let r = RoutingReconciler(kernel: kernel, config: RoutingConfig(mode: .vxlan, nodeName: "n1"))
        _ = r.apply(try plan(.vxlan, nodes))
        let r2 = RoutingReconciler(kernel: kernel, config: RoutingConfig(mode: .hostGW, nodeName: "n1"))
        let report = r2.apply(try plan(.hostGW, nodes))
        #expect(report.changes == ["add route 10.244.2.0/24 via 10.0.0.2 dev eth0", "del vtep trellis.vxlan"])
        #expect(!kernel.links.contains { $0.name == "trellis.vxlan" })
    }

    @Test func nodeRouterPublishesItsVTEPOnce() throws {
        let kernel = FakeKernel()
        let published = Published()
        let router = NodeRouter(config: RoutingConfig(mode: .vxlan, nodeName: "n1"), kernel: kernel,
                                publish: { published.append($0) })
        router.replaceAll(nodes)
        router.resync()
        #expect(published.all.count == 1)
        #expect(published.all.first?[NodeAnnotation.vtepMAC] == NodeRouter.vtepMAC(nodeName: "n1", vni: 1).description)
        #expect(published.all.first?[NodeAnnotation.publicIP] == "10.0.0.1")
        let gone = router.delete(nodeNamed: "n2")
        #expect(gone.report.changes == ["del route 10.244.2.0/24", "del neigh 10.244.2.0", "del fdb 0a:00:00:00:00:02 dst 10.0.0.2"])
    }
}

final class Published: @unchecked Sendable {
    private(set) var all: [[String: String]] = []
    func append(_ a: [String: String]) { all.append(a) }
}
