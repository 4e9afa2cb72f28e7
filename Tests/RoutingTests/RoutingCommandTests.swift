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

/// `trellis routing --kubeconfig`: Nodes from a real `trellis apiserver` through the shared
/// informer, this node's VTEP MAC published by a merge patch, a deleted Node's entries removed.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct RoutingAPIServerTests {
    @Test func followsNodesFromTheAPIServerAndPublishesItsVTEP() throws {
        let lab = try RoutingLab(mode: .vxlan)
        for i in 1...2 { try lab.addNode(i) }
        let dir = lab.data.path + "/api"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let log = dir + "/apiserver.log"
        let server = try BackgroundProcess(["sh", "-c", "exec \(builtProductsDirectory)/trellis apiserver --data-dir \(dir) --listen 127.0.0.1:0 > \(log) 2>&1"])
        defer { server.stop() }
        let kubeconfig = dir + "/admin.kubeconfig"
        #expect(eventually(timeout: 60) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serving ") && FileManager.default.fileExists(atPath: kubeconfig) })
        let kubectl = ["kubectl", "--kubeconfig", kubeconfig]
        // Node addresses as annotations: status is not settable on create.
        func manifest(_ n: Int, mac: String? = nil) -> String {
            var annotations = [#""routing.trellis.dev/public-ip":"10.50.0.\#(10 + n)""#]
            if let mac { annotations.append(#""routing.trellis.dev/vtep-mac":"\#(mac)""#) }
            return #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node\#(n)","annotations":{\#(annotations.joined(separator: ","))}},"spec":{"podCIDR":"10.244.\#(n).0/24","podCIDRs":["10.244.\#(n).0/24"]}}"#
        }
        try shell(kubectl + ["create", "--validate=false", "-f", "-"], stdin: manifest(1))
        try shell(kubectl + ["create", "--validate=false", "-f", "-"], stdin: manifest(2, mac: NodeRouter.vtepMAC(nodeName: "node2", vni: 1).description))
        let n1 = lab.nodes[0]
        let daemon = try BackgroundProcess([builtProductsDirectory + "/trellis", "routing", "--mode", "vxlan", "--node-name", "node1",
                                            "--netns", n1.ns.name, "--kubeconfig", kubeconfig, "--subnet-file", lab.data.path + "/subnet.env",
                                            "--resync-interval", "0.5"])
        defer { daemon.stop() }
        func routes() throws -> String { try n1.ns.run(["ip", "route", "show", "proto", "84"]).stdout }
        #expect(try eventually(timeout: 20) { try routes().contains("10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan") }, "\((try? routes()) ?? "")")
        let mac1 = NodeRouter.vtepMAC(nodeName: "node1", vni: 1).description
        #expect(try eventually(timeout: 10) {
            try shell(kubectl + ["get", "node", "node1", "-o", "jsonpath={.metadata.annotations}"]).stdout.contains(mac1)
        }, "node1 carries its VTEP MAC")
        try shell(kubectl + ["delete", "node", "node2"])
        #expect(try eventually(timeout: 10) { try !routes().contains("10.244.2.0") })
        #expect(try !n1.ns.run(["bridge", "fdb", "show", "dev", "trellis.vxlan"]).stdout.contains("10.50.0.12"))
    }
}
