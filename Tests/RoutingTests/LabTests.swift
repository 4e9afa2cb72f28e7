import Foundation
import NetAddr
import Routing
import Testing
import TestSupport

/// Real-kernel acceptance tests (issue 5): nodes as namespaces on a LAN, pods made by the
/// plugin binaries, traffic between pods on different nodes.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct LabTests {
    /// Every pod pings every other pod over IPv4 and IPv6, and TCP works both ways across one pair.
    func expectFullMesh(_ lab: RoutingLab, _ pods: [(ns: ScratchNamespace, v4: String, v6: String)]) throws {
        for (i, a) in pods.enumerated() {
            for (j, b) in pods.enumerated() where i != j {
                #expect(try lab.pings(a.ns, b.v4), "pod \(i) -> pod \(j) \(b.v4)")
                #expect(try lab.pings(a.ns, b.v6), "pod \(i) -> pod \(j) \(b.v6)")
            }
        }
        #expect(try lab.tcp(pods[0].ns, to: pods[1].ns, pods[1].v4))
        #expect(try lab.tcp(pods[1].ns, to: pods[0].ns, pods[0].v6))
    }

    func podMTU(_ pod: ScratchNamespace) throws -> Int? {
        try pod.ipJSON(["link", "show", "eth0"]).first?["mtu"] as? Int
    }

    @Test func hostGW() throws {
        let lab = try RoutingLab(mode: .hostGW)
        for i in 1...3 { try lab.addNode(i) }
        let results = lab.syncAll()
        for r in results {
            #expect(r.error == nil)
            #expect(r.plan?.problems == [])
            #expect(r.report.errors == [])
        }
        let pods = try lab.nodes.map { try lab.addPod(on: $0, plugin: "trellis-hostgw") }
        try expectFullMesh(lab, pods)
        #expect(try podMTU(pods[0].ns) == 1500)
        let routes = try lab.nodes[0].ns.ipJSON(["route", "show", "proto", "84"])
        #expect(routes.map { "\($0["dst"]!) via \($0["gateway"]!)" }.sorted() == ["10.244.2.0/24 via 10.50.0.12", "10.244.3.0/24 via 10.50.0.13"])
    }

    @Test func hostGWNamesThePeerOnAnotherSubnet() throws {
        let lab = try RoutingLab(mode: .hostGW)
        try lab.addNode(1)
        try lab.addNode(2)
        try lab.addNode(3, far: true)
        let first = lab.syncAll()[0]
        let problems = try #require(first.plan?.problems)
        #expect(problems.map(\.node) == ["node3", "node3"])
        #expect(problems[0].description.contains("node IP 10.51.0.13 is not on-link on eth0 (10.50.0.0/24)"))
        // The on-link peer is still routed.
        let pods = try lab.nodes.prefix(2).map { try lab.addPod(on: $0, plugin: "trellis-hostgw") }
        #expect(try lab.pings(pods[0].ns, pods[1].v4))
    }

    @Test func vxlan() throws {
        let lab = try RoutingLab(mode: .vxlan)
        for i in 1...3 { try lab.addNode(i) }
        for r in lab.syncAll() {
            #expect(r.error == nil)
            #expect(r.report.errors == [])
        }
        let pods = try lab.nodes.map { try lab.addPod(on: $0, plugin: "trellis-vxlan") }
        try expectFullMesh(lab, pods)
        #expect(try podMTU(pods[0].ns) == 1450)
        let vtep = try #require(try lab.nodes[0].ns.ipJSON(["-d", "link", "show", "trellis.vxlan"]).first)
        #expect(vtep["mtu"] as? Int == 1450)
        #expect(vtep["address"] as? String == NodeRouter.vtepMAC(nodeName: "node1", vni: 1).description)
        let info = (vtep["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
        #expect(info?["id"] as? Int == 1)
        #expect(info?["port"] as? Int == 4789)
        #expect(info?["learning"] as? Bool == false)
    }

    @Test func hybridTunnelsOnlyToTheFarNode() throws {
        let lab = try RoutingLab(mode: .hybrid)
        try lab.addNode(1)
        try lab.addNode(2)
        try lab.addNode(3, far: true)
        for r in lab.syncAll() {
            #expect(r.error == nil)
            #expect(r.plan?.problems == [])
            #expect(r.report.errors == [])
        }
        let routes = try lab.nodes[0].ns.ipJSON(["route", "show", "proto", "84"])
        #expect(routes.map { "\($0["dst"]!) dev \($0["dev"]!)" }.sorted() == ["10.244.2.0/24 dev eth0", "10.244.3.0/24 dev trellis.vxlan"])
        let pods = try lab.nodes.map { try lab.addPod(on: $0, plugin: "trellis-vxlan") }
        try expectFullMesh(lab, pods)
    }

    @Test func handDeletedEntriesComeBackOnTheNextPass() throws {
        let lab = try RoutingLab(mode: .vxlan)
        try lab.addNode(1)
        try lab.addNode(2)
        lab.syncAll()
        let n1 = lab.nodes[0]
        try n1.ns.run(["ip", "route", "del", "10.244.2.0/24"])
        try n1.ns.run(["ip", "neigh", "del", "10.244.2.0", "dev", "trellis.vxlan"])
        let mac2 = NodeRouter.vtepMAC(nodeName: "node2", vni: 1).description
        try n1.ns.run(["bridge", "fdb", "del", mac2, "dev", "trellis.vxlan", "dst", "10.50.0.12"])
        let pass = n1.routing.resync()
        #expect(pass.report.changes == [
            "add fdb \(mac2) dst 10.50.0.12", "add neigh 10.244.2.0 lladdr \(mac2)",
            "add route 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink",
        ])
        #expect(try n1.ns.ipJSON(["route", "show", "10.244.2.0/24"]).first?["flags"] as? [String] == ["onlink"])
        #expect(n1.routing.resync().report.changes == [])
    }

    @Test func aRemovedNodesEntriesDisappear() throws {
        let lab = try RoutingLab(mode: .vxlan)
        for i in 1...3 { try lab.addNode(i) }
        lab.syncAll()
        let n1 = lab.nodes[0]
        func entries() throws -> String {
            let r = try n1.ns.run(["ip", "route", "show", "proto", "84"]).stdout
            let n = try n1.ns.run(["ip", "neigh", "show", "dev", "trellis.vxlan"]).stdout
            let f = try n1.ns.run(["bridge", "fdb", "show", "dev", "trellis.vxlan"]).stdout
            return r + n + f
        }
        #expect(try entries().contains("10.244.3.0"))
        #expect(try entries().contains("10.50.0.13"))
        let results = lab.removeNode(lab.nodes[2])
        #expect(results.allSatisfy { $0.report.errors.isEmpty })
        let after = try entries()
        #expect(!after.contains("10.244.3.0") && !after.contains("10.50.0.13") && !after.contains("fd10:244:3"), "\(after)")
        #expect(after.contains("10.244.2.0"))
    }

    @Test func routedPodsWithHostRoutesAndProxyARP() throws {
        let lab = try RoutingLab(mode: .hostGW)
        for i in 1...3 { try lab.addNode(i) }
        lab.syncAll()
        let pods = try lab.nodes.map { try lab.addPod(on: $0, plugin: "trellis-bgp") }
        try expectFullMesh(lab, pods)
        let n1 = lab.nodes[0]
        // No bridge: a host route per pod, and the pod's gateway answered by proxy ARP.
        #expect(try n1.ns.run(["ip", "link", "show", "trellis0"], check: false).status != 0)
        #expect(try n1.ns.run(["ip", "route", "show", pods[0].v4]).stdout.contains("scope link"))
        #expect(try pods[0].ns.run(["ip", "route", "show", "default"]).stdout.contains("via 169.254.1.1"))
        #expect(try lab.pings(n1.ns, pods[0].v4))
    }

    /// A 4th node joins: every pod reaches its pod; prints the convergence time (Node event to
    /// the first successful ping from each existing pod).
    @Test func aFourthNodeConverges() throws {
        let lab = try RoutingLab(mode: .vxlan)
        for i in 1...3 { try lab.addNode(i) }
        lab.syncAll()
        var pods = try lab.nodes.map { try lab.addPod(on: $0, plugin: "trellis-vxlan") }
        let n4 = try lab.addNode(4)
        let start = ContinuousClock.now
        for r in lab.syncAll() { #expect(r.report.errors == []) }
        let applied = ContinuousClock.now - start
        pods.append(try lab.addPod(on: n4, plugin: "trellis-vxlan"))
        for p in pods.dropLast() { #expect(try lab.pings(p.ns, pods[3].v4)) }
        #expect(try lab.pings(pods[3].ns, pods[0].v6))
        print("routing lab: 4th node applied on all 4 nodes in \(applied); reachable from every pod \(ContinuousClock.now - start) after the Node event (pod ADD included)")
    }
}
