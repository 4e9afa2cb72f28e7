import ClusterDNS
import DNSWire
import Foundation
import NetAddr
import Telemetry
import Testing
import TestSupport

/// Metrics, readiness and graceful shutdown of the server.
@Suite struct OperationsTests {
    @Test func responsesAreCountedByTypeAndRcode() throws {
        let registry = MetricsRegistry()
        let metrics = DNSMetrics(registry: registry)
        let server = try TestServer(zone: SpecFixture.zone(), metrics: metrics)
        for _ in 0..<3 { _ = try Dig.query("web.default.svc.cluster.local.", "A", port: server.port, tcp: false) }
        _ = try Dig.query("nope.cluster.local.", "AAAA", port: server.port, tcp: false)
        _ = try Dig.query("web.default.svc.cluster.local.", "SRV", port: server.port, tcp: true)
        let text = registry.exposition()
        #expect(text.contains("trellis_dns_responses_total{type=\"A\",rcode=\"NOERROR\"} 3"), "\(text)")
        #expect(text.contains("trellis_dns_responses_total{type=\"AAAA\",rcode=\"NXDOMAIN\"} 1"))
        #expect(text.contains("trellis_dns_responses_total{type=\"SRV\",rcode=\"NOERROR\"} 1"))
        #expect(text.contains("trellis_dns_request_duration_seconds_count{proto=\"udp\"} 4"))
        #expect(text.contains("trellis_dns_request_duration_seconds_count{proto=\"tcp\"} 1"))
    }

    @Test func lameDuckIsNotReadyButStillAnswersThenStops() throws {
        let zone = SpecFixture.zone()
        let server = DNSServer(config: .init(address: IPAddress("127.0.0.1")!, port: 0, udpThreads: 1), zone: zone)
        try server.start()
        let health = try HealthServer(host: "127.0.0.1", port: 0, registry: MetricsRegistry(),
                                      ready: { zone.snapshot.synced && !server.isLameDuck })
        defer { health.stop() }
        func ready() throws -> String {
            try shell(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(health.port)/ready"], check: false).stdout
        }
        #expect(try ready() == "200")
        let done = Thread { server.shutdown(lameDuckMilliseconds: 3000) }
        done.start()
        #expect(eventually(timeout: 10) { (try? ready()) == "503" })
        // Still answering during the lame-duck period.
        #expect(try Dig.query("web.default.svc.cluster.local.", "A", port: server.port, tcp: false).answer == ["A 10.96.0.10"])
        // Then it stops answering (hang guard only; no timing asserted).
        #expect(eventually(timeout: 15) {
            (try? Dig.query("web.default.svc.cluster.local.", "A", port: server.port, tcp: false, extra: ["+time=1"]).rcode) == "?"
        })
    }
}
