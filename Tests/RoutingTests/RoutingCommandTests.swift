import Foundation
import KubeAPI
import Routing
import SubnetPlugins
import Testing
import TestSupport

/// `trellis routing` as a process, driven by a `--nodes-file` fixture.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct RoutingCommandTests {
    func writeNodes(_ nodes: [Node], to path: String) throws {
        try KubeJSON.encode(nodes).write(to: URL(fileURLWithPath: path + ".tmp"))
        try shell(["mv", path + ".tmp", path])
    }

    @Test func onceAppliesAndPrintsThePlan() throws {
        let lab = try RoutingLab(mode: .vxlan)
        for i in 1...2 { try lab.addNode(i) }
        let nodesFile = lab.data.path + "/nodes.json", subnetFile = lab.data.path + "/subnet.env"
        try writeNodes(lab.nodes.map(\.object), to: nodesFile)
        let out = try shell([builtProductsDirectory + "/trellis", "routing", "--mode", "vxlan", "--node-name", "node1",
                             "--netns", lab.nodes[0].ns.name, "--nodes-file", nodesFile, "--subnet-file", subnetFile, "--once"])
        #expect(out.stdout.contains("route 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink # node2"), "\(out.stdout)")
        #expect(try SubnetFile.read(path: subnetFile) == SubnetFile(mode: "vxlan", podCIDRs: lab.nodes[0].object.spec!.podCIDRs!.compactMap { .init($0) }, mtu: 1450))
        #expect(try lab.nodes[0].ns.run(["ip", "route", "show", "10.244.2.0/24"]).stdout.contains("onlink"))
    }

    @Test func daemonFollowsTheNodesFileAndRepairsRoutes() throws {
        let lab = try RoutingLab(mode: .hostGW)
        for i in 1...3 { try lab.addNode(i) }
        let n1 = lab.nodes[0]
        let nodesFile = lab.data.path + "/nodes.json", subnetFile = lab.data.path + "/subnet.env"
        try writeNodes(lab.nodes.map(\.object), to: nodesFile)
        let daemon = try BackgroundProcess([builtProductsDirectory + "/trellis", "routing", "--mode", "hostgw", "--node-name", "node1",
                                            "--netns", n1.ns.name, "--nodes-file", nodesFile, "--subnet-file", subnetFile,
                                            "--resync-interval", "0.2", "--teardown-on-exit"])
        defer { daemon.stop() }
        func routes() throws -> String { try n1.ns.run(["ip", "route", "show", "proto", "84"]).stdout }
        #expect(try eventually(timeout: 10) { try routes().contains("10.244.3.0/24 via 10.50.0.13") })
        try n1.ns.run(["ip", "route", "del", "10.244.2.0/24"])
        #expect(try eventually(timeout: 5) { try routes().contains("10.244.2.0/24 via 10.50.0.12") }, "a route deleted by hand comes back")
        try writeNodes(lab.nodes.prefix(2).map(\.object), to: nodesFile)
        #expect(try eventually(timeout: 5) { try !routes().contains("10.244.3.0") }, "a removed node's route goes")
        daemon.stop()
        #expect(try routes().isEmpty, "--teardown-on-exit removes what the daemon made")
    }
}
