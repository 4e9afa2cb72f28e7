import Foundation
import KubeAPI
import NFTables
import NetAddr
import Testing
import TestSupport
@testable import ServiceProxy

/// Forwards to an `NFTablesFake` and keeps every batch, to check what a sync sent.
final class RecordingNFTables: NFTablesOps, @unchecked Sendable {
    let fake = NFTablesFake()
    private(set) var batches: [Batch] = []
    func apply(_ batch: Batch) throws(NFTablesError) {
        batches.append(batch)
        try fake.apply(batch)
    }
    func tableExists(_ table: Table) throws(NFTablesError) -> Bool { try fake.tableExists(table) }
    func elements(of set: NFTSet) throws(NFTablesError) -> [SetElement] { try fake.elements(of: set) }
}

private typealias F = Fixture

/// A small cluster: a ClusterIP with affinity, a NodePort eTP Local, an LB with source
/// ranges, a Service without endpoints, a dual-stack Service.
func sampleInputs(webEndpoints: [String] = ["10.1.0.5", "10.1.0.6"]) -> ProxyInputs {
    let services = [
        F.service("web", ip: "10.96.0.10", ports: [F.port("http", "TCP", 80), F.port("dns", "UDP", 53)]) {
            $0.sessionAffinity = "ClientIP"
        },
        F.service("np", ip: "10.96.0.11", type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)]) {
            $0.externalTrafficPolicy = "Local"
        },
        F.service("lb", ip: "10.96.0.12", type: "LoadBalancer", ports: [F.port(nil, "TCP", 443, nodePort: 30443)]) {
            $0.loadBalancerSourceRanges = ["192.0.2.0/24"]; $0.externalIPs = ["203.0.113.9"]
        },
        F.service("empty", ip: "10.96.0.13", ports: [F.port(nil, "UDP", 53)]),
        F.service("dual", ip: "10.96.0.14", ips: ["10.96.0.14", "fd00:96::14"], ports: [F.port(nil, "TCP", 80)]),
    ]
    var lb = services[2]
    var st = ServiceStatus(); var l = LoadBalancerStatus(); var i = LoadBalancerIngress(); i.ip = "198.51.100.1"
    l.ingress = [i]; st.loadBalancer = l; lb.status = st
    let slices = [
        F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], webEndpoints.map { F.ep($0) }),
        F.slice("np", ports: [(nil, "TCP", 8080)], [F.ep("10.1.1.5", node: "node-b")]),
        F.slice("lb", ports: [(nil, "TCP", 8443)], [F.ep("10.1.0.7"), F.ep("10.1.1.7", node: "node-b")]),
        F.slice("dual", ports: [(nil, "TCP", 8080)], [F.ep("10.1.0.8")]),
        F.slice("dual", type: "IPv6", ports: [(nil, "TCP", 8080)], [F.ep("fd00:10::8")]),
    ]
    return ProxyInputs(services: [services[0], services[1], lb, services[3], services[4]], endpointSlices: slices)
}

@Suite struct NFTablesBackendTests {
    @Test func fullSyncGolden() throws {
        let nft = RecordingNFTables()
        let backend = NFTablesBackend(nft: nft)
        let plans = ProxyModel.plan(sampleInputs(), config: Fixture.config)
        let stats = try backend.sync(plans, changed: nil, full: true)
        #expect(stats.full)
        #expect(nft.batches.count == 1)
        #expect(golden("nft-full-fake", nft.fake.description + "\n"))
        // The batch itself, sorted, so that every rule is pinned down.
        #expect(golden("nft-full-batch", nft.batches[0].operations.map(\.description).sorted().joined(separator: "\n") + "\n"))
    }

    @Test func partialSyncTouchesOnlyTheChangedService() throws {
        let nft = RecordingNFTables()
        let backend = NFTablesBackend(nft: nft)
        _ = try backend.sync(ProxyModel.plan(sampleInputs(), config: Fixture.config), changed: nil, full: true)
        let before = nft.fake.description
        // One endpoint of web replaced.
        let plans = ProxyModel.plan(sampleInputs(webEndpoints: ["10.1.0.5", "10.1.0.9"]), config: Fixture.config)
        let web: Set<ServicePortName> = [ServicePortName(NamespacedName("default", "web"), port: "http", proto: .tcp),
                                         ServicePortName(NamespacedName("default", "web"), port: "dns", proto: .udp)]
        let stats = try backend.sync(plans, changed: web, full: false)
        #expect(!stats.full)
        #expect(stats.servicePortsChanged == 2)
        let ops = nft.batches[1].operations
        #expect(ops.allSatisfy { "\($0)".contains("default/web/") || "\($0)".contains("hairpin") }, "\(nft.batches[1])")
        #expect(!ops.contains { if case .deleteTable = $0 { true } else { false } })
        // Same result as a full sync of the new plan.
        let fresh = RecordingNFTables()
        _ = try NFTablesBackend(nft: fresh).sync(plans, changed: nil, full: true)
        #expect(nft.fake.description == fresh.fake.description)
        #expect(nft.fake.description != before)
        // Nothing changed: an empty batch is not even sent.
        _ = try backend.sync(plans, changed: nil, full: false)
        #expect(nft.batches.count == 2)
    }

    @Test func removingEveryServiceLeavesOnlyTheSkeleton() throws {
        let nft = RecordingNFTables()
        let backend = NFTablesBackend(nft: nft)
        _ = try backend.sync(ProxyModel.plan(sampleInputs(), config: Fixture.config), changed: nil, full: true)
        _ = try backend.sync(ProxyModel.plan(ProxyInputs(), config: Fixture.config), changed: nil, full: false)
        let empty = RecordingNFTables()
        _ = try NFTablesBackend(nft: empty).sync(ProxyModel.plan(ProxyInputs(), config: Fixture.config), changed: nil, full: true)
        #expect(nft.fake.description == empty.fake.description)
    }

    @Test func failedApplyKeepsOldStateAndNextSyncIsFull() throws {
        let nft = RecordingNFTables()
        let backend = NFTablesBackend(nft: nft)
        _ = try backend.sync(ProxyModel.plan(sampleInputs(), config: Fixture.config), changed: nil, full: true)
        let before = nft.fake.description
        nft.fake.failApply(errno: ENOBUFS)
        let plans = ProxyModel.plan(sampleInputs(webEndpoints: ["10.1.0.9"]), config: Fixture.config)
        #expect(throws: NFTablesError.self) { try backend.sync(plans, changed: nil, full: false) }
        #expect(nft.fake.description == before)
        let stats = try backend.sync(plans, changed: nil, full: false)
        #expect(stats.full)
    }

    @Test func conflictingNodePortsSmallestNameWins() throws {
        let a = F.service("a", ip: "10.96.0.1", type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30000)])
        let b = F.service("b", ip: "10.96.0.2", type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30000)])
        let sl = [F.slice("a", ports: [(nil, "TCP", 1)], [F.ep("10.1.0.1")]), F.slice("b", ports: [(nil, "TCP", 1)], [F.ep("10.1.0.2")])]
        let nft = RecordingNFTables()
        let backend = NFTablesBackend(nft: nft)
        _ = try backend.sync(ProxyModel.plan(ProxyInputs(services: [a, b], endpointSlices: sl), config: Fixture.config), changed: nil, full: true)
        let map = ProxyTable(.v4).serviceNodePorts
        #expect(try nft.fake.elements(of: map).map(\.description) == ["6 . 30000 : goto ext-default/a/tcp/80"])
        // a goes away: b takes the port over in a partial sync.
        _ = try backend.sync(ProxyModel.plan(ProxyInputs(services: [b], endpointSlices: sl), config: Fixture.config),
                             changed: [ServicePortName(NamespacedName("default", "a"), port: "", proto: .tcp)], full: false)
        #expect(try nft.fake.elements(of: map).map(\.description) == ["6 . 30000 : goto ext-default/b/tcp/80"])
    }
}

@Suite(.enabled(if: isRoot, "needs root for network namespaces"))
struct NFTablesBackendKernelTests {
    @Test func kernelAcceptsFullAndPartialSyncs() throws {
        let ns = try ScratchNamespace("tpx")
        let backend = NFTablesBackend(nft: try NFTablesConnection(in: ns.netns))
        _ = try backend.sync(ProxyModel.plan(sampleInputs(), config: Fixture.config), changed: nil, full: true)
        let json = try ns.run(["nft", "-j", "list", "table", "ip", "trellis_proxy"]).stdout
        #expect(json.contains("\"svc-default/web/tcp/http\""))
        #expect(json.contains("\"ep-default/web/tcp/http@10.1.0.5:8080\""))
        #expect(json.contains("\"aff-default/web/udp/dns@10.1.0.6:5353\""))
        let text = try ns.run(["nft", "list", "table", "ip", "trellis_proxy"]).stdout
        #expect(text.contains("numgen random mod 2 vmap @epc-default/web/tcp/http"), "\(text)")
        #expect(text.contains("dnat to 10.1.0.5:8080"), "\(text)")
        #expect(text.contains("dnat ip to numgen random mod 2 offset 1 map @endpoints"), "\(text)")
        #expect(text.contains(": 10.1.0.7 . 8443"), "\(text)")
        #expect(text.contains("reject"), "\(text)")
        #expect(text.contains("10.96.0.13 . udp . 53 : goto reject-chain"), "\(text)")
        let v6 = try ns.run(["nft", "list", "table", "ip6", "trellis_proxy"]).stdout
        #expect(v6.contains("0 : fd00:10::8 . 8080"), "\(v6)")
        // Partial: replace an endpoint; then remove everything.
        let plans = ProxyModel.plan(sampleInputs(webEndpoints: ["10.1.0.5", "10.1.0.9"]), config: Fixture.config)
        _ = try backend.sync(plans, changed: nil, full: false)
        let after = try ns.run(["nft", "list", "table", "ip", "trellis_proxy"]).stdout
        #expect(after.contains("dnat to 10.1.0.9:8080") && !after.contains("10.1.0.6"), "\(after)")
        // A foreign chain is removed by the next full sync.
        try ns.run(["nft", "add", "chain", "ip", "trellis_proxy", "intruder"])
        _ = try backend.sync(plans, changed: nil, full: true)
        #expect(!(try ns.run(["nft", "list", "table", "ip", "trellis_proxy"]).stdout.contains("intruder")))
        _ = try backend.sync(ProxyModel.plan(ProxyInputs(), config: Fixture.config), changed: nil, full: false)
        let empty = try ns.run(["nft", "list", "table", "ip", "trellis_proxy"]).stdout
        #expect(!empty.contains("default/"), "\(empty)")
        try backend.cleanup()
        #expect(try ns.run(["nft", "list", "tables"]).stdout.isEmpty)
    }
}
