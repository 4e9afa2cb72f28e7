import Foundation
import KubeAPI
import NFTables
import NetAddr
import Testing
import TestSupport
@testable import ServiceProxy

/// Records what the proxier asks of a backend.
final class RecordingBackend: ProxyBackend, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls: [(plans: ProxyPlanSet, changed: Set<ServicePortName>?, full: Bool)] = []
    var fail = false
    func sync(_ plans: ProxyPlanSet, changed: Set<ServicePortName>?, full: Bool) throws -> SyncStats {
        try lock.withLock {
            if fail { throw ProxyError("sync", "fake") }
            calls.append((plans, changed, full))
            return SyncStats(full: full, servicePortsChanged: changed?.count ?? plans.v4.services.count)
        }
    }
    func cleanup() throws {}
}

private typealias F = Fixture

@Suite struct ServiceProxierTests {
    let inputs = sampleInputs()

    func loaded(_ backend: RecordingBackend, conntrack: (any ConntrackOps)? = nil) -> ServiceProxier {
        let p = ServiceProxier(config: Fixture.config, backend: backend, conntrack: conntrack, minSyncPeriod: 0.05)
        for s in inputs.services.values { p.upsert(s) }
        for s in inputs.endpointSlices.values { p.upsert(s) }
        return p
    }

    @Test func noRulesUntilInformersSynced() throws {
        let backend = RecordingBackend()
        let p = loaded(backend)
        #expect(try p.syncNow() == nil)
        #expect(backend.calls.isEmpty)
        p.markSynced()
        let stats = try #require(try p.syncNow())
        #expect(stats.full)
        #expect(backend.calls.count == 1)
        #expect(p.currentPlan == ProxyModel.plan(inputs, config: Fixture.config))
    }

    @Test func eventsBatchIntoOnePartialSyncOfTheTouchedService() throws {
        let backend = RecordingBackend()
        let p = loaded(backend)
        p.markSynced()
        try p.syncNow()
        // Two events for one Service, one for another.
        p.upsert(F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.5")]))
        p.upsert(F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.9")]))
        p.deleteService(NamespacedName("default", "empty"))
        let stats = try #require(try p.syncNow())
        #expect(!stats.full)
        let call = backend.calls[1]
        #expect(call.changed == [ServicePortName(NamespacedName("default", "web"), port: "http", proto: .tcp),
                                 ServicePortName(NamespacedName("default", "web"), port: "dns", proto: .udp),
                                 ServicePortName(NamespacedName("default", "empty"), port: "", proto: .udp)])
        var expected = inputs
        expected.services[NamespacedName("default", "empty")] = nil
        expected.endpointSlices[NamespacedName("default", "web-ipv4")] =
            F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.9")])
        #expect(call.plans == ProxyModel.plan(expected, config: Fixture.config))
        #expect(try p.syncNow() == nil)  // nothing pending
    }

    @Test func udpEndpointChangesCleanConntrack() throws {
        let backend = RecordingBackend()
        let ct = ConntrackRecorder()
        let p = loaded(backend, conntrack: ct)
        p.markSynced()
        try p.syncNow()
        // A new UDP Service port with endpoints: entries to its address (never NATed) go.
        #expect(ct.filters.map(\.description) == ["conntrack -D -f ipv4 -p udp --orig-dst 10.96.0.10 --dport 53"])
        p.upsert(F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.5")]))
        try p.syncNow()
        // 10.1.0.6 went away from the UDP port; the TCP port needs nothing.
        #expect(ct.filters.dropFirst().map(\.description) == ["conntrack -D -f ipv4 -p udp --orig-dst 10.96.0.10 --dport 53 --reply-src 10.1.0.6"])
        // The Service that had no endpoint gets one: entries to its address go.
        p.upsert(F.slice("empty", ports: [(nil, "UDP", 53)], [F.ep("10.1.0.7")]))
        try p.syncNow()
        #expect(ct.filters.last?.description == "conntrack -D -f ipv4 -p udp --orig-dst 10.96.0.13 --dport 53")
    }

    @Test func healthzTurnsUnhealthyWhenAQueuedChangeIsOld() throws {
        let backend = RecordingBackend()
        let p = loaded(backend)
        p.markSynced()
        try p.syncNow()
        #expect(p.isHealthy())
        backend.fail = true
        p.deleteService(NamespacedName("default", "web"))
        #expect(throws: ProxyError.self) { try p.syncNow() }
        #expect(p.isHealthy())
        #expect(!p.isHealthy(now: Date().addingTimeInterval(0.2)))
        backend.fail = false
        let stats = try #require(try p.syncNow())
        #expect(stats.full)  // after a failure the next sync is full
        #expect(p.isHealthy(now: Date().addingTimeInterval(10)))
    }

    @Test func runLoopSyncsWithinTheMinimumPeriod() async throws {
        let backend = RecordingBackend()
        let p = loaded(backend)
        p.markSynced()
        let task = Task { await p.run() }
        defer { task.cancel() }
        for _ in 0..<200 where backend.calls.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(backend.calls.count == 1)
        for i in 0..<5 { p.upsert(F.service("s\(i)", ip: "10.96.9.\(i)", ports: [F.port(nil, "TCP", 80)])) }
        for _ in 0..<200 where backend.calls.count < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(backend.calls.count == 2)
        #expect(backend.calls[1].changed?.count == 5)
    }

    @Test func healthCheckAnswer() throws {
        let backend = RecordingBackend()
        let p = ServiceProxier(config: Fixture.config, backend: backend)
        let s = F.service("lb", ip: "10.96.0.30", type: "LoadBalancer", ports: [F.port(nil, "TCP", 80, nodePort: 30080)]) {
            $0.externalTrafficPolicy = "Local"; $0.healthCheckNodePort = 32100
        }
        p.upsert(s)
        p.upsert(F.slice("lb", ports: [(nil, "TCP", 8080)], [F.ep("10.1.0.5"), F.ep("10.1.1.5", node: "node-b")]))
        p.markSynced()
        try p.syncNow()
        let (status, _, body) = ProxyHTTP.answer(p, port: 32100)
        #expect(status == 200)
        #expect(body == #"{"service":{"namespace":"default","name":"lb"},"localEndpoints":1,"serviceProxyHealthy":true}"#)
        p.upsert(F.slice("lb", ports: [(nil, "TCP", 8080)], [F.ep("10.1.1.5", node: "node-b")]))
        try p.syncNow()
        let (status2, _, body2) = ProxyHTTP.answer(p, port: 32100)
        #expect(status2 == 503)
        #expect(body2.contains(#""localEndpoints":0"#))
    }
}

@Suite(.enabled(if: isRoot, "needs root for network namespaces"))
struct ProxyHTTPKernelTests {
    @Test func healthEndpointsOverHTTP() throws {
        let ns = try ScratchNamespace("tph")
        let p = ServiceProxier(config: Fixture.config, backend: RecordingBackend())
        let s = F.service("lb", ip: "10.96.0.30", type: "LoadBalancer", ports: [F.port(nil, "TCP", 80, nodePort: 30080)]) {
            $0.externalTrafficPolicy = "Local"; $0.healthCheckNodePort = 32100
        }
        p.upsert(s)
        p.upsert(F.slice("lb", ports: [(nil, "TCP", 8080)], [F.ep("10.1.0.5")]))
        p.markSynced()
        try p.syncNow()
        let http = try ProxyHTTP(proxier: p, healthPort: 0, host: "127.0.0.1", netns: ns.netns)
        defer { http.stop() }
        http.reconcileHealthChecks()
        let port = try #require(http.healthPort)
        let healthz = try ns.run(["curl", "-s", "-w", " %{http_code}", "http://127.0.0.1:\(port)/healthz"]).stdout
        #expect(healthz == #"{"healthy":true} 200"#)
        let metrics = try ns.run(["curl", "-s", "http://127.0.0.1:\(port)/metrics"]).stdout
        #expect(metrics.contains("trellis_proxy_syncs_total{kind=\"full\"} 1"))
        let hc = try ns.run(["curl", "-s", "-w", " %{http_code}", "http://127.0.0.1:32100/"]).stdout
        #expect(hc == #"{"service":{"namespace":"default","name":"lb"},"localEndpoints":1,"serviceProxyHealthy":true} 200"#)
    }
}
