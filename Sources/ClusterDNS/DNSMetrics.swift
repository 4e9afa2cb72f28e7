import DNSWire
import Telemetry

/// The DNS server's metrics, resolved to series once so the query path only adds to
/// atomics (and UDP workers only once per batch, see `LocalCounts`).
public final class DNSMetrics: Sendable {
    /// Query types with their own label; the rest count as "other".
    static let types: [(DNSType, String)] = [(.a, "A"), (.aaaa, "AAAA"), (.srv, "SRV"), (.ptr, "PTR"), (.txt, "TXT"),
                                             (.cname, "CNAME"), (.soa, "SOA"), (.ns, "NS"), (.any, "ANY")]
    static let rcodes: [(DNSRCode, String)] = [(.noError, "NOERROR"), (.formErr, "FORMERR"), (.servFail, "SERVFAIL"),
                                               (.nxDomain, "NXDOMAIN"), (.notImp, "NOTIMP"), (.refused, "REFUSED"),
                                               (.badVers, "BADVERS")]
    let responses: [CounterChild]  // [type * (rcodes + 1) + rcode]
    let udpLatency: HistogramChild
    let tcpLatency: HistogramChild
    public let cacheHits: CounterChild
    public let cacheMisses: CounterChild
    public let cacheEntries: GaugeChild
    public let forwarded: CounterChild
    public let upstreamHealthy: Gauge
    public let upstreamFailures: Counter
    public let zoneNames: GaugeChild
    public let zoneBuildSeconds: HistogramChild
    public let synced: GaugeChild
    public let loopDetected: GaugeChild

    public init(registry: MetricsRegistry) {
        let r = registry.counter("trellis_dns_responses_total", help: "DNS responses sent, by query type and rcode.",
                                 labelNames: ["type", "rcode"])
        var rs: [CounterChild] = []
        for t in DNSMetrics.types.map(\.1) + ["other"] {
            for c in DNSMetrics.rcodes.map(\.1) + ["other"] { rs.append(r.labels(t, c)) }
        }
        responses = rs
        let lat = registry.histogram("trellis_dns_request_duration_seconds",
                                     help: "Time from receiving a query to sending its answer (UDP: per receive batch).",
                                     labelNames: ["proto"],
                                     buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                               0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])
        udpLatency = lat.labels("udp")
        tcpLatency = lat.labels("tcp")
        cacheHits = registry.counter("trellis_dns_cache_hits_total", help: "Forwarded queries answered from the cache.").labels()
        cacheMisses = registry.counter("trellis_dns_cache_misses_total", help: "Forwarded queries not in the cache.").labels()
        cacheEntries = registry.gauge("trellis_dns_cache_entries", help: "Responses held in the forward cache.").labels()
        forwarded = registry.counter("trellis_dns_forward_requests_total", help: "Queries sent upstream.").labels()
        upstreamHealthy = registry.gauge("trellis_dns_upstream_healthy", help: "1 if the upstream answers, else 0.",
                                         labelNames: ["upstream"])
        upstreamFailures = registry.counter("trellis_dns_upstream_failures_total", help: "Upstream timeouts and errors.",
                                            labelNames: ["upstream"])
        zoneNames = registry.gauge("trellis_dns_zone_names", help: "Names in the published cluster zone.").labels()
        zoneBuildSeconds = registry.histogram("trellis_dns_zone_build_seconds", help: "Time to build a zone snapshot.",
                                              buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]).labels()
        synced = registry.gauge("trellis_dns_synced", help: "1 once the first sync is done.").labels()
        loopDetected = registry.gauge("trellis_dns_loop_detected", help: "1 if forwarding loops back to this server.").labels()
    }

    static func index(_ type: DNSType, _ rcode: DNSRCode) -> Int {
        var t = types.count, c = rcodes.count
        for (i, x) in types.enumerated() where x.0 == type { t = i; break }
        for (i, x) in rcodes.enumerated() where x.0 == rcode { c = i; break }
        return t * (rcodes.count + 1) + c
    }

    public func count(type: DNSType, rcode: DNSRCode, tcp: Bool, seconds: Double) {
        responses[DNSMetrics.index(type, rcode)].inc()
        (tcp ? tcpLatency : udpLatency).observe(seconds)
    }

    /// Per-thread tallies, added to the shared series once per batch.
    struct LocalCounts {
        var counts: [UInt32]
        var pending = 0

        init() { counts = [UInt32](repeating: 0, count: (DNSMetrics.types.count + 1) * (DNSMetrics.rcodes.count + 1)) }

        @inline(__always) mutating func add(_ type: DNSType, _ rcode: DNSRCode) {
            counts[DNSMetrics.index(type, rcode)] &+= 1
            pending += 1
        }

        mutating func flush(into m: DNSMetrics, batchSeconds: Double) {
            guard pending > 0 else { return }
            for i in counts.indices where counts[i] != 0 {
                m.responses[i].inc(Double(counts[i]))
                counts[i] = 0
            }
            m.udpLatency.observe(batchSeconds, count: UInt64(pending))
            pending = 0
        }
    }
}
