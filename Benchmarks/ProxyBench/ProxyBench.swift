import Foundation
import KubeAPI
import NFTables
import NetAddr
import NetNS
import ServiceProxy

/// `proxy-bench`: the service proxy benchmarks of issue 6 (run by scripts/bench-proxy.sh).
///
///     proxy-bench sync [--services N] [--endpoints M]    full sync + single-endpoint changes
///     proxy-bench load --netns NAME --services N --target IP:PORT [--cluster-cidr CIDR]
///         installs N Services (Service 0 -> target, the rest -> unreachable endpoints), exits
@main
enum ProxyBench {
    static func main() throws {
        let args = CommandLine.arguments.dropFirst()
        func option(_ name: String) -> String? {
            guard let i = args.firstIndex(of: name), args.index(after: i) < args.endIndex else { return nil }
            return args[args.index(after: i)]
        }
        let services = Int(option("--services") ?? "10000")!
        let endpoints = Int(option("--endpoints") ?? "10")!
        switch args.first {
        case "sync": try sync(services: services, endpoints: endpoints)
        case "probe": try probe(services: services, endpoints: endpoints)
        case "load":
            try load(netns: option("--netns")!, services: services, endpoints: endpoints, target: option("--target")!,
                     clusterCIDR: option("--cluster-cidr") ?? "10.1.0.0/16")
        default:
            FileHandle.standardError.write(Data("usage: proxy-bench sync|load …\n".utf8))
            exit(2)
        }
    }

    static func ip(_ base: UInt32, _ n: Int) -> String { "\(IPv4Address(base + UInt32(n)))" }

    static func service(_ i: Int) -> Service {
        var s = Service()
        s.metadata = ObjectMeta(name: "s\(i)", namespace: "bench")
        var spec = ServiceSpec()
        spec.clusterIP = ip(0x0A64_0000, i)   // 10.100.0.0 + i
        spec.clusterIPs = [spec.clusterIP!]
        spec.type = "ClusterIP"
        spec.ports = [ServicePort(name: "http", protocol: "TCP", port: 80)]
        s.spec = spec
        return s
    }

    static func slice(_ i: Int, endpoints: [String], port: Int32 = 8080) -> EndpointSlice {
        var s = EndpointSlice()
        s.metadata = ObjectMeta(name: "s\(i)-x", namespace: "bench", labels: ["kubernetes.io/service-name": "s\(i)"])
        s.addressType = "IPv4"
        s.ports = [EndpointPort(name: "http", protocol: "TCP", port: port)]
        s.endpoints = endpoints.map { Endpoint(addresses: [$0], nodeName: "node-b") }
        return s
    }

    static func endpoints(_ i: Int, _ m: Int) -> [String] { (0..<m).map { ip(0x0AC8_0000, i * m + $0) } }  // 10.200.0.0 + …

    static func config() -> ProxyConfig {
        ProxyConfig(nodeName: "node-a", nodeAddresses: [IPAddress("192.168.0.10")!], clusterCIDRs: [IPPrefix("10.1.0.0/16")!])
    }

    static func sync(services n: Int, endpoints m: Int) throws {
        let name = "pxbench\(getpid())"
        let ns = try NetNS.create(named: name)
        defer { try? NetNS.delete(named: name) }
        let backend = NFTablesBackend(nft: try NFTablesConnection(in: ns))
        let proxier = ServiceProxier(config: config(), backend: backend)
        for i in 0..<n {
            proxier.upsert(service(i))
            proxier.upsert(slice(i, endpoints: endpoints(i, m)))
        }
        proxier.markSynced()
        var t = Date()
        let stats = try proxier.syncNow()!
        let full = Date().timeIntervalSince(t)
        print(String(format: "full sync: %d services x %d endpoints: %.3f s (%d operations; kernel transaction %.3f s)",
                     n, m, full, stats.operations, stats.applySeconds))
        var changes: [Double] = [], applies: [Double] = []
        for k in 0..<21 {
            let i = (k * 7919) % n
            var eps = endpoints(i, m)
            eps[0] = ip(0x0AFA_0000, k)   // 10.250.0.k replaces one endpoint
            t = Date()
            proxier.upsert(slice(i, endpoints: eps))
            let s = try proxier.syncNow()!
            changes.append(Date().timeIntervalSince(t))
            applies.append(s.applySeconds)
            precondition(!s.full && s.servicePortsChanged == 1)
        }
        changes.sort()
        applies.sort()
        print(String(format: "one endpoint change at %d services: median %.2f ms, max %.2f ms (21 changes; kernel transaction median %.2f ms)",
                     n, changes[10] * 1000, changes.last! * 1000, applies[10] * 1000))
        t = Date()
        proxier.upsert(service(n))
        proxier.upsert(slice(n, endpoints: endpoints(n, m)))
        try proxier.syncNow()
        print(String(format: "add one service at %d services: %.2f ms", n, Date().timeIntervalSince(t) * 1000))
        t = Date()
        _ = try backend.sync(proxier.currentPlan, changed: nil, full: true)
        print(String(format: "second full sync (table replaced): %.3f s", Date().timeIntervalSince(t)))
    }

    /// Times tiny transactions on a table holding `n` Services: where does a partial sync's
    /// kernel time go?
    static func probe(services n: Int, endpoints m: Int) throws {
        let name = "pxprobe\(getpid())"
        let ns = try NetNS.create(named: name)
        defer { try? NetNS.delete(named: name) }
        let nft = try NFTablesConnection(in: ns)
        let proxier = ServiceProxier(config: config(), backend: NFTablesBackend(nft: nft))
        for i in 0..<n {
            proxier.upsert(service(i))
            proxier.upsert(slice(i, endpoints: endpoints(i, m)))
        }
        proxier.markSynced()
        try proxier.syncNow()
        let t = Table(.ip, "trellis_proxy")
        let plain = NFTSet(table: t, name: "nodeport-ips", key: [.ipv4Address])
        let vmap = NFTSet(table: t, name: "service-ips", key: [.ipv4Address, .inetProto, .inetService], isVerdictMap: true)
        let cases: [(String, Batch)] = [
            ("element in a plain set", Batch([.addElements(plain, [SetElement([.address(IPAddress("1.2.3.4")!)])])])),
            ("new unreachable chain", Batch([.addChain(Chain(table: t, name: "probe"))])),
            ("counter rule in unreachable chain", Batch([.addRule(Rule(chain: Chain(table: t, name: "probe"), expressions: [.counter]))])),
            ("accept rule in unreachable chain", Batch([.addRule(Rule(chain: Chain(table: t, name: "probe"), expressions: [.verdict(.accept)]))])),
            ("vmap element goto reject-chain", Batch([.addElements(vmap, [SetElement([.address(IPAddress("1.2.3.4")!), .proto(6), .port(80)], verdict: .goto("reject-chain"))])])),
        ]
        for (what, b) in cases {
            let start = Date()
            try nft.apply(b)
            print(String(format: "%@: %.2f ms", what, Date().timeIntervalSince(start) * 1000))
        }
    }

    static func load(netns: String, services n: Int, endpoints m: Int, target: String, clusterCIDR: String) throws {
        let ns = try NetNS.open(named: netns)
        let parts = target.split(separator: ":")
        var cfg = config()
        cfg.clusterCIDRs = [IPPrefix(clusterCIDR)!]
        let proxier = ServiceProxier(config: cfg, backend: NFTablesBackend(nft: try NFTablesConnection(in: ns)))
        for i in 0..<n {
            proxier.upsert(service(i))
            proxier.upsert(i == 0 ? slice(0, endpoints: [String(parts[0])], port: Int32(parts[1])!) : slice(i, endpoints: endpoints(i, m)))
        }
        proxier.markSynced()
        let t = Date()
        try proxier.syncNow()
        print(String(format: "loaded %d services in %.3f s", n, Date().timeIntervalSince(t)))
    }
}
