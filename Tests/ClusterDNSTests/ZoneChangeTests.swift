import ClusterDNS
import DNSWire
import Foundation
import KubeAPI
import Testing
import TestSupport

/// Answers follow object events: what the API says now is what dig sees.
@Suite struct ZoneChangeTests {
    @Test func endpointBecomingNotReadyDisappears() throws {
        let server = try TestServer(zone: SpecFixture.zone())
        let name = "hl.default.svc.cluster.local."
        #expect(try Dig.query(name, "A", port: server.port, tcp: false).answer.contains("A 10.1.0.1"))
        server.zone.upsert(endpointSlice: SpecFixture.slice("hl-a", service: "hl", ports: [("http", "TCP", 8080)], endpoints: [
            .init(ip: "10.1.0.1", ready: false, hostname: "pet-0"), .init(ip: "10.1.0.2", pod: "hl-abc"),
        ]))
        // Generous hang guard; the rebuild is immediate, no timing is asserted.
        let gone = try eventually(timeout: 10) {
            try !Dig.query(name, "A", port: server.port, tcp: false).answer.contains("A 10.1.0.1")
        }
        #expect(gone)
        #expect(try Dig.query("pet-0.hl.default.svc.cluster.local.", "A", port: server.port, tcp: false).rcode == "NXDOMAIN")
        // Its reverse name is not ours any more: without a forwarder, REFUSED.
        #expect(try Dig.query("1.0.1.10.in-addr.arpa.", "PTR", port: server.port, tcp: false).rcode == "REFUSED")
    }

    @Test func deletesRemoveNamesAndNamespacesStayUntilDeleted() throws {
        let zone = SpecFixture.zone()
        zone.delete(service: SpecFixture.service("web", clusterIP: "10.96.0.10"))
        zone.flush()
        let snap = zone.snapshot
        let gone = SpecCase(name: "web.default.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        #expect(try SpecTableTests.inProcess(gone, zone: snap).mismatch(gone) == nil)
        let srvGone = SpecCase(name: "_http._tcp.web.default.svc.cluster.local.", type: "SRV", rcode: "NXDOMAIN", soa: true)
        #expect(try SpecTableTests.inProcess(srvGone, zone: snap).mismatch(srvGone) == nil)
        let ptrGone = try SpecTableTests.inProcess(SpecCase(name: "10.0.96.10.in-addr.arpa.", type: "PTR", rcode: ""), zone: snap)
        #expect(ptrGone.rcode == "REFUSED")
        zone.delete(namespace: SpecFixture.namespace("empty-ns"))
        zone.flush()
        let nsGone = SpecCase(name: "empty-ns.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        #expect(try SpecTableTests.inProcess(nsGone, zone: zone.snapshot).mismatch(nsGone) == nil)
    }

    @Test func readersSeeNewSnapshotsThroughTheirHandle() {
        let zone = SpecFixture.zone()
        var reader = ClusterZone.Reader(zone)
        let first = reader.refresh()
        #expect(reader.refresh() === first)
        zone.delete(pod: SpecFixture.pod("p1", ip: "10.1.0.50"))
        zone.flush()
        #expect(reader.refresh() !== first)
    }

    @Test func snapshotOf2000ServicesHasEveryName() {
        var state = ClusterState()
        for i in 0..<2000 {
            state.upsert(service: SpecFixture.service("s\(i)", clusterIP: "10.100.\(i / 250).\(i % 250)", ports: [("http", "TCP", 80)]))
        }
        state.markSynced()
        let snap = ZoneSnapshot.build(state, options: SpecFixture.options, serial: 1)
        // Per service: the name, the SRV, its _tcp parent, the PTR; plus the fixed names.
        #expect(snap.nameCount >= 8000)
    }
}
