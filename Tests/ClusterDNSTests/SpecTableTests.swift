import ClusterDNS
import DNSWire
import Foundation
import Testing
import TestSupport

/// One server for the whole table (global lets are lazy and thread-safe).
let specServer: TestServer = try! TestServer(zone: SpecFixture.zone())

/// The Kubernetes DNS specification table (issue 8 acceptance): each row in process,
/// and with the real dig over UDP and over TCP against the real server.
@Suite struct SpecTableTests {
    static func inProcess(_ c: SpecCase, zone: ZoneSnapshot) throws -> Observed {
        let q = Raw.query(try DNSName(c.name), DNSType(typeCode(c.type)))
        var w = DNSResponseWriter(capacity: 65535)
        guard case .reply = QueryHandler.handle(q.span, zone: zone, writer: &w, framing: .udp, canForward: false) else {
            throw SpecError("no reply")
        }
        return Render.observed(try DNSMessage(parsing: Array(w.message)))
    }

    static func typeCode(_ t: String) -> UInt16 {
        ["A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16, "AAAA": 28, "SRV": 33, "ANY": 255][t]!
    }

    @Test("spec row in process", arguments: specCases)
    func inProcessRow(_ c: SpecCase) throws {
        let o = try Self.inProcess(c, zone: specServer.zone.snapshot)
        #expect(o.mismatch(c) == nil, "\(c.name) \(c.type): \(o.mismatch(c) ?? "") — got \(o)")
    }

    @Test("spec row with dig over UDP", arguments: specCases)
    func digUDP(_ c: SpecCase) throws {
        let o = try Dig.query(c.name, c.type, port: specServer.port, tcp: false)
        #expect(o.mismatch(c) == nil, "\(c.name) \(c.type): \(o.mismatch(c) ?? "") — got \(o)")
    }

    @Test("spec row with dig over TCP", arguments: specCases)
    func digTCP(_ c: SpecCase) throws {
        let o = try Dig.query(c.name, c.type, port: specServer.port, tcp: true)
        #expect(o.mismatch(c) == nil, "\(c.name) \(c.type): \(o.mismatch(c) ?? "") — got \(o)")
    }

    @Test func tableHasAtLeast26Rows() {
        #expect(specCases.count >= 26)
    }

    @Test func namespacesFilterHidesOtherNamespaces() throws {
        var opts = SpecFixture.options
        opts.namespaces = ["default"]
        let zone = SpecFixture.zone(opts)
        let hidden = SpecCase(name: "api.ns1.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        let o = try Self.inProcess(hidden, zone: zone.snapshot)
        #expect(o.mismatch(hidden) == nil, "\(o)")
        let shown = SpecCase(name: "web.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.96.0.10"])
        #expect(try Self.inProcess(shown, zone: zone.snapshot).mismatch(shown) == nil)
    }

    @Test func insecurePodsAnswerAnyAddressLabel() throws {
        var opts = SpecFixture.options
        opts.pods = .insecure
        let zone = SpecFixture.zone(opts)
        let c = SpecCase(name: "10-9-9-9.default.pod.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.9.9.9"])
        #expect(try Self.inProcess(c, zone: zone.snapshot).mismatch(c) == nil)
        let bad = SpecCase(name: "10-9-9-999.default.pod.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        #expect(try Self.inProcess(bad, zone: zone.snapshot).mismatch(bad) == nil)
        let svcLike = SpecCase(name: "10-9-9-9.default.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        #expect(try Self.inProcess(svcLike, zone: zone.snapshot).mismatch(svcLike) == nil)
    }

    @Test func disabledPodsHaveNoPodSubtree() throws {
        var opts = SpecFixture.options
        opts.pods = .disabled
        let zone = SpecFixture.zone(opts)
        let c = SpecCase(name: "10-1-0-50.default.pod.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true)
        #expect(try Self.inProcess(c, zone: zone.snapshot).mismatch(c) == nil)
    }

    @Test func podNameOptionNamesEndpointsAfterTheirPods() throws {
        var opts = SpecFixture.options
        opts.endpointNames = .podName
        let zone = SpecFixture.zone(opts)
        let c = SpecCase(name: "hl-abc.hl.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.2"])
        #expect(try Self.inProcess(c, zone: zone.snapshot).mismatch(c) == nil)
    }

    @Test func servFailUntilFirstSync() throws {
        let zone = ClusterZone(options: SpecFixture.options)
        zone.update { s in for o in SpecFixture.objects { s.upsert(any: o) } }
        zone.flush()
        let q = Raw.query("web.default.svc.cluster.local.", .a)
        var w = DNSResponseWriter(capacity: 4096)
        _ = QueryHandler.handle(q.span, zone: zone.snapshot, writer: &w, framing: .udp, canForward: false)
        #expect(try DNSMessage(parsing: Array(w.message)).rcode == .servFail)
        zone.markSynced()
        zone.flush()
        _ = QueryHandler.handle(q.span, zone: zone.snapshot, writer: &w, framing: .udp, canForward: false)
        #expect(try DNSMessage(parsing: Array(w.message)).answers.count == 1)
    }

    @Test func ttlOptionIsUsedForAnswersAndSOA() throws {
        var opts = SpecFixture.options
        opts.ttl = 7
        let zone = SpecFixture.zone(opts)
        var w = DNSResponseWriter(capacity: 4096)
        _ = QueryHandler.handle(Raw.query("web.default.svc.cluster.local.", .a).span, zone: zone.snapshot, writer: &w,
                                framing: .udp, canForward: false)
        #expect(try DNSMessage(parsing: Array(w.message)).answers.first?.ttl == 7)
        _ = QueryHandler.handle(Raw.query("nope.default.svc.cluster.local.", .a).span, zone: zone.snapshot, writer: &w,
                                framing: .udp, canForward: false)
        let neg = try DNSMessage(parsing: Array(w.message))
        guard case .soa(let soa)? = neg.authority.first?.data else { Issue.record("no SOA"); return }
        #expect(soa.minimum == 7 && neg.authority.first?.ttl == 7)
    }
}

struct SpecError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
