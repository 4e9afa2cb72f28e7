import ArgumentParser
import ClusterDNS
import DNSWire
import Foundation
import NetAddr
import Telemetry

extension Trellis {
    /// `trellis dns`: the cluster DNS server (issue 8).
    struct DNSCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dns",
            abstract: "Serve the cluster DNS zone and forward other names upstream.")

        @Option(name: .long, help: "Address to listen on (UDP and TCP).")
        var listen = "0.0.0.0"
        @Option(name: .long, help: "Port to listen on (0: any free port, printed at start).")
        var port: UInt16 = 53
        @Option(name: .long, help: "Cluster domain.")
        var zone = "cluster.local"
        @Option(name: .long, help: "TTL of cluster answers (and of the SOA's negative caching).")
        var ttl: UInt32 = 30
        @Option(name: .long, help: "Pod records a-b-c-d.<ns>.pod.<zone>: disabled, insecure or verified.")
        var pods = "disabled"
        @Option(name: .long, help: "Name headless endpoints without a hostname by ip or pod-name.")
        var endpointNames = "ip"
        @Option(name: .long, help: "Serve only these namespaces (comma-separated; default all).")
        var namespaces: String?
        @Option(name: .long, help: "Upstream resolvers, comma-separated (IP, IP:PORT or [IPv6]:PORT).")
        var upstreams: String?
        @Option(name: .long, help: "Take upstream resolvers from this resolv.conf (when --upstreams is not given).")
        var resolvConf = "/etc/resolv.conf"
        @Flag(name: .long, help: "Do not forward: names outside the cluster zone are REFUSED.")
        var noForward = false
        @Option(name: .long, help: "Forward cache size in entries (0: no cache).")
        var cacheSize = 10_000
        @Flag(name: .long, help: "Expand the search path server-side for queries from known pods (needs Pod events).")
        var autopath = false
        @Option(name: .long, help: "Address of /metrics, /health and /ready, HOST:PORT (empty: none).")
        var metricsAddress = "127.0.0.1:9153"
        @Option(name: .long, help: "UDP threads (0: one per core).")
        var threads = 0
        @Option(name: .long, help: "Seconds of lame duck after SIGTERM: not ready, still answering.")
        var lameDuck: Double = 5
        @Option(name: .long, help: "Load Kubernetes objects from this JSON file (array or List) instead of an API server.")
        var fixture: String?

        func validate() throws {
            guard IPAddress(listen) != nil else { throw ValidationError("--listen: not an IP address: \(listen)") }
            guard ZoneOptions.PodRecords(rawValue: pods) != nil else { throw ValidationError("--pods: disabled, insecure or verified") }
            guard ZoneOptions.EndpointNames(rawValue: endpointNames) != nil else { throw ValidationError("--endpoint-names: ip or pod-name") }
            guard (try? DNSName(zone)) != nil else { throw ValidationError("--zone: not a domain name: \(zone)") }
            if let upstreams {
                for u in upstreams.split(separator: ",") where Forwarder.Upstream(String(u)) == nil {
                    throw ValidationError("--upstreams: bad upstream \(u)")
                }
            }
            guard fixture != nil else { throw ValidationError("--fixture FILE is required until the API client lands") }
        }

        func run() async throws {
            let registry = MetricsRegistry()
            let metrics = DNSMetrics(registry: registry)
            let options = ZoneOptions(zone: try DNSName(zone), ttl: ttl, pods: ZoneOptions.PodRecords(rawValue: pods)!,
                                      endpointNames: ZoneOptions.EndpointNames(rawValue: endpointNames)!,
                                      namespaces: Set((namespaces ?? "").split(separator: ",").map(String.init)),
                                      autopath: autopath)
            let zone = ClusterZone(options: options) { snap, took in
                metrics.zoneNames.set(Double(snap.nameCount))
                metrics.zoneBuildSeconds.observe(Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18)
                metrics.synced.set(snap.synced ? 1 : 0)
            }
            var forwarder: Forwarder?
            if !noForward {
                let list = upstreams.map { $0.split(separator: ",").compactMap { Forwarder.Upstream(String($0)) } }
                    ?? Forwarder.upstreams(resolvConf: (try? String(contentsOfFile: resolvConf, encoding: .utf8)) ?? "")
                var fo = Forwarder.Options(upstreams: list)
                fo.cache.capacity = cacheSize
                forwarder = try Forwarder(options: fo, metrics: metrics)
                log("trellis dns: forwarding to \(list.map(\.description).joined(separator: ", "))")
            }
            let server = DNSServer(config: .init(address: IPAddress(listen)!, port: port, udpThreads: threads),
                                   zone: zone, forwarder: forwarder, metrics: metrics)
            try server.start()
            forwarder?.start()  // after the server: the loop probe must be able to come back to us
            var health: HealthServer?
            if !metricsAddress.isEmpty, let colon = metricsAddress.lastIndex(of: ":"), let mport = Int(metricsAddress[metricsAddress.index(after: colon)...]) {
                let host = String(metricsAddress[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                health = try HealthServer(host: host, port: mport, registry: registry,
                                          ready: { zone.snapshot.synced && !server.isLameDuck })
                log("trellis dns: metrics on http://\(metricsAddress.hasPrefix("[") ? metricsAddress : host + ":" + String(health!.port))/metrics")
            }
            log("trellis dns: serving \(options.zone) on \(listen) port \(server.port) (UDP and TCP)")
            if let fixture {
                let n = try zone.load(fixture: Data(contentsOf: URL(fileURLWithPath: fixture)))
                ClusterZone.releaseFreeMemory()
                log("trellis dns: loaded \(n) objects from \(fixture); \(zone.snapshot.nameCount) names")
            }
            let lameMilliseconds = Int(lameDuck * 1000)
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let once = Once()
                let signals = SignalWatch([SIGTERM, SIGINT]) {
                    guard once.first() else { return }
                    log("trellis dns: lame duck for \(lameMilliseconds) ms")
                    Thread.detachNewThread {
                        server.shutdown(lameDuckMilliseconds: lameMilliseconds)
                        done.resume()
                    }
                }
                once.keep(signals)
            }
            forwarder?.stop()
            health?.stop()
            log("trellis dns: stopped")
        }
    }
}

/// Lets the first signal through and keeps the signal sources alive.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var held: [AnyObject] = []
    func first() -> Bool { lock.withLock { defer { fired = true }; return !fired } }
    func keep(_ o: AnyObject) { lock.withLock { held.append(o) } }
}
