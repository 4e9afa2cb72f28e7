import Foundation
import NetNS

/// The proxy's HTTP endpoints: `/healthz`, `/livez`, `/metrics` on one port (kube-proxy:
/// 10256), and one `healthCheckNodePort` listener per `externalTrafficPolicy: Local`
/// LoadBalancer Service, answering
/// `{"service":{"namespace":…,"name":…},"localEndpoints":N,"serviceProxyHealthy":b}`
/// with 200 when N > 0 and the proxy is healthy, else 503.
public final class ProxyHTTP: @unchecked Sendable {
    private let proxier: ServiceProxier
    private let netns: NetNS?
    private let host: String
    private var health: HealthServer?
    private var nodePorts: [UInt16: HealthServer] = [:]
    private let lock = NSLock()

    public init(proxier: ServiceProxier, healthPort: UInt16?, host: String = "0.0.0.0", netns: NetNS? = nil) throws {
        self.proxier = proxier
        self.netns = netns
        self.host = host
        if let healthPort {
            health = try HealthServer(host: host, port: healthPort, netns: netns) { [proxier] _, path in
                switch path {
                case "/healthz", "/livez":
                    let ok = proxier.isHealthy()
                    return (ok ? 200 : 503, "application/json", "{\"healthy\":\(ok)}")
                case "/metrics":
                    return (200, "text/plain; version=0.0.4", proxier.metricsSnapshot.prometheusText)
                default:
                    return (404, "text/plain", "not found\n")
                }
            }
        }
    }

    /// The port `/healthz` listens on.
    public var healthPort: UInt16? { health?.port }

    /// Opens and closes health-check listeners to match the last sync's plan.
    public func reconcileHealthChecks() {
        lock.withLock {
            let want = Dictionary(proxier.healthChecks.map { ($0.nodePort, $0.service) }, uniquingKeysWith: { a, _ in a })
            for (port, server) in nodePorts where want[port] == nil {
                server.stop()
                nodePorts[port] = nil
            }
            for (port, _) in want where nodePorts[port] == nil {
                let proxier = self.proxier
                nodePorts[port] = try? HealthServer(host: host, port: port, netns: netns) { _, _ in
                    Self.answer(proxier, port: port)
                }
            }
        }
    }

    static func answer(_ proxier: ServiceProxier, port: UInt16) -> (Int, String, String) {
        guard let hc = proxier.healthChecks.first(where: { $0.nodePort == port }) else {
            return (503, "application/json", "{}")
        }
        let healthy = proxier.isHealthy()
        let body = "{\"service\":{\"namespace\":\(json(hc.service.namespace)),\"name\":\(json(hc.service.name))},"
            + "\"localEndpoints\":\(hc.localEndpoints),\"serviceProxyHealthy\":\(healthy)}"
        return (hc.localEndpoints > 0 && healthy ? 200 : 503, "application/json", body)
    }

    public func stop() {
        lock.withLock {
            health?.stop()
            for s in nodePorts.values { s.stop() }
            nodePorts = [:]
        }
    }
}

private func json(_ s: String) -> String {
    let data = try? JSONSerialization.data(withJSONObject: [s])
    let text = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
    return String(text.dropFirst().dropLast())
}
