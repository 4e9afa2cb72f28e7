import ClusterDNS
import DNSWire
import Foundation
import NetAddr
import Telemetry
import Testing
import TestSupport

/// The forwarder against a real upstream: a second server on loopback that is
/// authoritative for `example.test.` (the spec fixture under another zone).
@Suite(.serialized) struct ForwarderTests {
    static func upstreamZone() -> ClusterZone {
        var opts = SpecFixture.options
        opts.zone = "example.test."
        return SpecFixture.zone(opts)
    }

    struct Pair {
        let upstream: TestServer
        let front: TestServer
        let forwarder: Forwarder
        let registry: MetricsRegistry
    }

    static func pair(extraUpstreams: [Forwarder.Upstream] = [], timeout: Int = 2000) throws -> Pair {
        let upstream = try TestServer(zone: upstreamZone())
        let registry = MetricsRegistry()
        let metrics = DNSMetrics(registry: registry)
        var o = Forwarder.Options(upstreams: extraUpstreams + [Forwarder.Upstream(address: IPAddress("127.0.0.1")!, port: upstream.port)])
        o.timeoutMilliseconds = timeout
        let f = try Forwarder(options: o, metrics: metrics)
        f.start()
        let front = try TestServer(zone: SpecFixture.zone(), forwarder: f, metrics: metrics)
        return Pair(upstream: upstream, front: front, forwarder: f, registry: registry)
    }

    @Test func forwardsOverUDPAndTCPAndCaches() throws {
        let p = try Self.pair()
        defer { p.forwarder.stop() }
        let name = "web.default.svc.example.test."
        let first = try Dig.query(name, "A", port: p.front.port, tcp: false)
        #expect(first.answer == ["A 10.96.0.10"] && first.rcode == "NOERROR", "\(first)")
        let again = try Dig.query(name, "A", port: p.front.port, tcp: false)
        #expect(again.answer == ["A 10.96.0.10"])
        let tcp = try Dig.query(name, "A", port: p.front.port, tcp: true)
        #expect(tcp.answer == ["A 10.96.0.10"])
        let exposition = p.registry.exposition()
        #expect(exposition.contains("trellis_dns_cache_hits_total 2"), "\(exposition)")
        // The cluster zone is still answered locally (and never cached).
        #expect(try Dig.query("web.default.svc.cluster.local.", "A", port: p.front.port, tcp: false).answer == ["A 10.96.0.10"])
    }

    @Test func negativeAnswersAreForwardedAndCached() throws {
        let p = try Self.pair()
        defer { p.forwarder.stop() }
        for _ in 0..<2 {
            let o = try Dig.query("nope.default.svc.example.test.", "A", port: p.front.port, tcp: false)
            #expect(o.rcode == "NXDOMAIN" && o.authorityTypes == ["SOA"], "\(o)")
        }
        #expect(p.forwarder.cache.count >= 1)
        #expect(p.registry.exposition().contains("trellis_dns_cache_hits_total 1"))
    }

    @Test func truncatedUpstreamAnswerIsRetriedOverTCP() throws {
        let p = try Self.pair()
        defer { p.forwarder.stop() }
        let name = "big.default.svc.example.test."
        // Over UDP the client cannot get 100 records either: TC, then dig's own TCP retry,
        // which we forward (our UDP attempt is truncated; we retry upstream over TCP).
        let udp = try Dig.query(name, "A", port: p.front.port, tcp: false, extra: ["+ignore"])
        #expect(udp.tc, "\(udp)")
        let full = try Dig.query(name, "A", port: p.front.port, tcp: true)
        #expect(full.answer.count == 100 && !full.tc, "\(full)")
    }

    @Test func deadUpstreamIsSkippedAndMarkedUnhealthy() throws {
        // A UDP port with nothing behind it: queries sent there time out.
        let dead = Forwarder.Upstream(address: IPAddress("127.0.0.1")!, port: 9)
        let p = try Self.pair(extraUpstreams: [dead], timeout: 300)
        defer { p.forwarder.stop() }
        for i in 0..<4 {
            let o = try Dig.query("web.default.svc.example.test.", i % 2 == 0 ? "A" : "SRV", port: p.front.port, tcp: false,
                                  extra: ["+time=8"])
            #expect(o.rcode == "NOERROR", "\(o)")
        }
        let text = p.registry.exposition()
        #expect(text.contains("trellis_dns_upstream_failures_total{upstream=\"127.0.0.1:9\"}"), "\(text)")
    }

    @Test func resolvConfNameserversAreUpstreams() {
        let u = Forwarder.upstreams(resolvConf: "# c\nsearch x\nnameserver 10.0.0.10\nnameserver fd00::1\noptions ndots:5\n")
        #expect(u.map(\.description) == ["10.0.0.10:53", "[fd00::1]:53"])
        #expect(Forwarder.Upstream("1.2.3.4:5353")?.port == 5353)
        #expect(Forwarder.Upstream("[fd00::2]:54")?.port == 54)
    }

    @Test func forwardingLoopIsDetected() throws {
        // Reserve a free port, then start a server that forwards to itself.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = UInt16(bigEndian: sa.sin_port)
        close(fd)
        let f = try Forwarder(options: .init(upstreams: [.init(address: IPAddress("127.0.0.1")!, port: port)]))
        let server = DNSServer(config: .init(address: IPAddress("127.0.0.1")!, port: port, udpThreads: 1),
                               zone: SpecFixture.zone(), forwarder: f)
        try server.start()
        defer { server.stop(); f.stop() }
        f.start()
        #expect(eventually(timeout: 10) { f.loopDetected })
        let o = try Dig.query("example.com.", "A", port: port, tcp: false)
        #expect(o.rcode == "SERVFAIL")
    }
}
