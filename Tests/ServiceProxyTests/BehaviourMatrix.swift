import Foundation
import KubeAPI
import NFTables
import NetAddr
import Testing
import TestSupport
@testable import ServiceProxy

/// The behaviour matrix of issue 6: each row sets up Services and EndpointSlices, syncs them
/// through a `ServiceProxier` driving the backend under test, and checks real connections in
/// the `Lab`. It takes a backend factory, so every backend runs the same rows unchanged.
struct MatrixRow: Sendable, CustomStringConvertible {
    var name: String
    var services: [Service]
    var slices: [EndpointSlice]
    var steps: [MatrixStep]
    var description: String { name }
}

enum MatrixStep: Sendable {
    /// Connect `count` times and check the answers.
    case expect(Lab.Spot, String, String, Int, MatrixExpectation, count: Int = 1, sourcePort: Int = 0)
    /// Replace the row's objects and sync (with conntrack cleanup).
    case update(services: [Service], slices: [EndpointSlice])
    /// ClientIP affinity expires: after `idle` seconds a connection may pick another endpoint;
    /// over `cycles` cycles at least two endpoints answer.
    case affinityExpires(Lab.Spot, String, Int, idle: Double, cycles: Int)
}

enum MatrixExpectation: Sendable, CustomStringConvertible {
    /// Every attempt is answered, by one of these pods.
    case answeredBy(Set<String>)
    /// Every attempt is answered and, over all attempts, by each of these pods.
    case seesAll(Set<String>)
    /// Every attempt is answered by the same pod, one of these.
    case sticky(Set<String>)
    /// Answered by `pod`, which saw the client as `peer`.
    case peer(String, String)
    /// Answered, and no server saw the client's own address (masqueraded).
    case masqueraded(client: String)
    /// "Connection refused" within half a second (REJECT, not a timeout).
    case refused
    /// No answer (DROP).
    case timeout

    var description: String {
        switch self {
        case let .answeredBy(s): "answered by \(s.sorted())"
        case let .seesAll(s): "sees all of \(s.sorted())"
        case let .sticky(s): "sticky to one of \(s.sorted())"
        case let .peer(p, a): "answered by \(p) seeing \(a)"
        case let .masqueraded(c): "answered, client \(c) masqueraded"
        case .refused: "refused at once"
        case .timeout: "timeout"
        }
    }

    /// nil when `lines` (client output) meet the expectation, else why not.
    func check(_ lines: [String]) -> String? {
        let answers = lines.compactMap { l -> (pod: String, peer: String)? in
            let f = l.split(separator: " ")
            return f.count >= 3 && f[0] == "OK" ? (String(f[1]), String(f[2])) : nil
        }
        let all = answers.count == lines.count && !lines.isEmpty
        switch self {
        case let .answeredBy(s):
            return all && answers.allSatisfy { s.contains($0.pod) } ? nil : "got \(lines)"
        case let .seesAll(s):
            return all && Set(answers.map(\.pod)) == s ? nil : "got \(lines)"
        case let .sticky(s):
            return all && Set(answers.map(\.pod)).count == 1 && s.contains(answers[0].pod) ? nil : "got \(lines)"
        case let .peer(p, a):
            return all && answers.allSatisfy { $0.pod == p && $0.peer == a } ? nil : "got \(lines)"
        case let .masqueraded(c):
            return all && answers.allSatisfy { $0.peer != c } ? nil : "got \(lines)"
        case .refused:
            return lines.allSatisfy { l in l.hasPrefix("REFUSED") && (Double(l.split(separator: " ").last ?? "") ?? 9) < 0.5 }
                && !lines.isEmpty ? nil : "got \(lines)"
        case .timeout:
            return lines.allSatisfy { $0 == "TIMEOUT" } && !lines.isEmpty ? nil : "got \(lines)"
        }
    }
}

private typealias F = Fixture

private func svc(_ name: String, _ ip: String, _ ports: [ServicePort], type: String = "ClusterIP", ips: [String]? = nil,
                 _ edit: @escaping (inout ServiceSpec) -> Void = { _ in }) -> Service {
    F.service(name, ns: "matrix", ip: ip, ips: ips, type: type, ports: ports, edit)
}
private func slice(_ name: String, _ eps: [Endpoint], ports: [(String?, String, Int32)] = [(nil, "TCP", 8080)],
                   type: String = "IPv4") -> EndpointSlice {
    F.slice(name, ns: "matrix", type: type, ports: ports, eps)
}
private func pod(_ p: String, ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) -> Endpoint {
    let ip = p == "r1" ? "10.1.1.11" : "10.1.0.\(Lab.podIPs[p]!)"
    return F.ep(ip, node: p == "r1" ? "node-b" : "node-a", ready: ready, serving: serving, terminating: terminating)
}
private func pod6(_ p: String) -> Endpoint { F.ep("fd00:10::\(Lab.podIPs[p]!)", node: "node-a") }

private func lbService(_ ranges: [String]) -> Service {
    var s = svc("lb", "10.96.1.11", [F.port(nil, "TCP", 80, nodePort: 30011)], type: "LoadBalancer") {
        $0.loadBalancerSourceRanges = ranges
    }
    var st = ServiceStatus(); var l = LoadBalancerStatus(); var i = LoadBalancerIngress(); i.ip = "203.0.113.11"
    l.ingress = [i]; st.loadBalancer = l; s.status = st
    return s
}

let matrixRows: [MatrixRow] = [
    MatrixRow(name: "ClusterIP multi-port",
              services: [svc("multi", "10.96.1.1", [F.port("a", "TCP", 80), F.port("b", "TCP", 81)])],
              slices: [slice("multi", [pod("p1"), pod("p2")], ports: [("a", "TCP", 8080), ("b", "TCP", 8081)])],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.1", 80, .seesAll(["p1", "p2"]), count: 20),
                      .expect(.pod("c1"), "tcp", "10.96.1.1", 81, .answeredBy(["p1", "p2"]), count: 4),
                      .expect(.node, "tcp", "10.96.1.1", 80, .answeredBy(["p1", "p2"]), count: 2)]),
    MatrixRow(name: "same port, two protocols",
              services: [svc("two", "10.96.1.2", [F.port("t", "TCP", 53), F.port("u", "UDP", 53)])],
              slices: [slice("two", [pod("p1")], ports: [("t", "TCP", 8080), ("u", "UDP", 8081)])],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.2", 53, .answeredBy(["p1"])),
                      .expect(.pod("c1"), "udp", "10.96.1.2", 53, .answeredBy(["p1"]))]),
    MatrixRow(name: "no endpoints: REJECT (connection refused, not a timeout)",
              services: [svc("none", "10.96.1.3", [F.port("t", "TCP", 80), F.port("u", "UDP", 80)])], slices: [],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.3", 80, .refused, count: 2),
                      .expect(.node, "tcp", "10.96.1.3", 80, .refused),
                      .expect(.pod("c1"), "udp", "10.96.1.3", 80, .refused)]),
    MatrixRow(name: "terminating fallback: none ready, serving+terminating used",
              services: [svc("term", "10.96.1.4", [F.port(nil, "TCP", 80)])],
              slices: [slice("term", [pod("p1", ready: false, serving: true, terminating: true),
                                      pod("p2", ready: false, serving: false, terminating: true)])],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.4", 80, .answeredBy(["p1"]), count: 6)]),
    MatrixRow(name: "NodePort from external and from the node (eTP Cluster: masqueraded)",
              services: [svc("np", "10.96.1.5", [F.port(nil, "TCP", 80, nodePort: 30005)], type: "NodePort")],
              slices: [slice("np", [pod("p1"), pod("r1")])],
              steps: [.expect(.external, "tcp", "192.168.0.10", 30005, .seesAll(["p1", "r1"]), count: 16),
                      .expect(.external, "tcp", "192.168.0.10", 30005, .masqueraded(client: "192.168.0.100"), count: 6),
                      .expect(.node, "tcp", "192.168.0.10", 30005, .answeredBy(["p1", "r1"]), count: 4),
                      .expect(.pod("c1"), "tcp", "192.168.0.10", 30005, .answeredBy(["p1", "r1"]), count: 4)]),
    MatrixRow(name: "eTP Local: local endpoint only, client source IP preserved",
              services: [svc("local", "10.96.1.6", [F.port(nil, "TCP", 80, nodePort: 30006)], type: "NodePort") {
                  $0.externalTrafficPolicy = "Local" }],
              slices: [slice("local", [pod("p1"), pod("r1")])],
              steps: [.expect(.external, "tcp", "192.168.0.10", 30006, .peer("p1", "192.168.0.100"), count: 6)]),
    MatrixRow(name: "eTP Local: none local -> DROP; pods and the node short-circuit to the cluster set",
              services: [svc("drop", "10.96.1.7", [F.port(nil, "TCP", 80, nodePort: 30007)], type: "NodePort") {
                  $0.externalTrafficPolicy = "Local" }],
              slices: [slice("drop", [pod("r1")])],
              steps: [.expect(.external, "tcp", "192.168.0.10", 30007, .timeout),
                      .expect(.pod("c1"), "tcp", "192.168.0.10", 30007, .answeredBy(["r1"])),
                      .expect(.node, "tcp", "192.168.0.10", 30007, .answeredBy(["r1"])),
                      .expect(.pod("c1"), "tcp", "10.96.1.7", 80, .answeredBy(["r1"]))]),
    MatrixRow(name: "iTP Local: local endpoints only; none local -> DROP",
              services: [svc("itp", "10.96.1.8", [F.port(nil, "TCP", 80)]) { $0.internalTrafficPolicy = "Local" },
                         svc("itp0", "10.96.1.9", [F.port(nil, "TCP", 80)]) { $0.internalTrafficPolicy = "Local" }],
              slices: [slice("itp", [pod("p1"), pod("r1")]), slice("itp0", [pod("r1")])],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.8", 80, .answeredBy(["p1"]), count: 8),
                      .expect(.pod("c1"), "tcp", "10.96.1.9", 80, .timeout)]),
    MatrixRow(name: "session affinity ClientIP, and its timeout",
              services: [svc("aff", "10.96.1.10", [F.port(nil, "TCP", 80)]) {
                  $0.sessionAffinity = "ClientIP"
                  var c = SessionAffinityConfig(); var ip = ClientIPConfig(); ip.timeoutSeconds = 1; c.clientIP = ip
                  $0.sessionAffinityConfig = c
              }],
              slices: [slice("aff", [pod("p1"), pod("p2"), pod("p3")])],
              steps: [.expect(.pod("c1"), "tcp", "10.96.1.10", 80, .sticky(["p1", "p2", "p3"]), count: 12),
                      .affinityExpires(.pod("c1"), "10.96.1.10", 80, idle: 1.6, cycles: 8)]),
    MatrixRow(name: "LoadBalancer source ranges",
              services: [lbService(["192.168.0.100/32"])], slices: [slice("lb", [pod("p1")])],
              steps: [.expect(.external, "tcp", "203.0.113.11", 80, .answeredBy(["p1"])),
                      .update(services: [lbService(["10.9.9.0/24"])], slices: [slice("lb", [pod("p1")])]),
                      .expect(.external, "tcp", "203.0.113.11", 80, .timeout)]),
    MatrixRow(name: "hairpin: a pod reaches itself through its Service (masqueraded)",
              services: [svc("hair", "10.96.1.12", [F.port(nil, "TCP", 80)])], slices: [slice("hair", [pod("p1")])],
              steps: [.expect(.pod("p1"), "tcp", "10.96.1.12", 80, .peer("p1", "10.1.0.1"), count: 3)]),
    MatrixRow(name: "UDP: server pod replaced, stale conntrack entry removed",
              services: [svc("udp", "10.96.1.13", [F.port(nil, "UDP", 53)])],
              slices: [slice("udp", [pod("p1")], ports: [(nil, "UDP", 8080)])],
              steps: [.expect(.pod("c1"), "udp", "10.96.1.13", 53, .answeredBy(["p1"]), count: 2, sourcePort: 40053),
                      .update(services: [svc("udp", "10.96.1.13", [F.port(nil, "UDP", 53)])],
                              slices: [slice("udp", [pod("p2")], ports: [(nil, "UDP", 8080)])]),
                      .expect(.pod("c1"), "udp", "10.96.1.13", 53, .answeredBy(["p2"]), count: 2, sourcePort: 40053),
                      // Scale to zero: the client is refused instead of reaching the old pod.
                      .update(services: [svc("udp", "10.96.1.13", [F.port(nil, "UDP", 53)])], slices: []),
                      .expect(.pod("c1"), "udp", "10.96.1.13", 53, .refused, sourcePort: 40053)]),
    MatrixRow(name: "IPv6: ClusterIP, NodePort from external, REJECT",
              services: [svc("six", "10.96.1.14", [F.port(nil, "TCP", 80, nodePort: 30014)], type: "NodePort",
                             ips: ["10.96.1.14", "fd00:96::14"]),
                         svc("six0", "fd00:96::15", [F.port(nil, "TCP", 80)])],
              slices: [slice("six", [pod6("p1")], type: "IPv6"), slice("six", [pod("p2")])],
              steps: [.expect(.pod("c1"), "tcp", "fd00:96::14", 80, .answeredBy(["p1"]), count: 3),
                      .expect(.pod("c1"), "tcp", "10.96.1.14", 80, .answeredBy(["p2"]), count: 2),
                      .expect(.external, "tcp", "fd00:1::10", 30014, .answeredBy(["p1"]), count: 2),
                      .expect(.pod("c1"), "tcp", "fd00:96::15", 80, .refused)]),
]

/// Runs every row against the backend `make` builds in the lab's node namespace.
func runMatrix(_ lab: Lab, backend make: (Lab) throws -> any ProxyBackend) throws {
    let config = ProxyConfig(nodeName: "node-a",
                             nodeAddresses: [IPAddress("192.168.0.10")!, IPAddress("172.16.0.1")!, IPAddress("fd00:1::10")!],
                             nodePortAddresses: [IPPrefix("192.168.0.0/24")!, IPPrefix("fd00:1::/64")!],
                             clusterCIDRs: [IPPrefix("10.1.0.0/16")!, IPPrefix("fd00:10::/64")!])
    // TRELLIS_MATRIX_ROW=<substring> runs only the matching rows (debugging).
    let only = ProcessInfo.processInfo.environment["TRELLIS_MATRIX_ROW"]
    for row in matrixRows where only.map({ row.name.contains($0) }) ?? true {
        let backend = try make(lab)
        defer {
            try? backend.cleanup()
            _ = try? lab.node.run(["conntrack", "-F"], check: false)
        }
        let proxier = ServiceProxier(config: config, backend: backend, conntrack: ConntrackTool(netnsPath: lab.node.path))
        var current = (row.services, row.slices)
        func load(_ services: [Service], _ slices: [EndpointSlice]) throws {
            for s in current.0 where !services.contains(where: { $0.key == s.key }) { proxier.deleteService(s.key) }
            for s in current.1 where !slices.contains(where: { $0.key == s.key }) { proxier.deleteEndpointSlice(s.key) }
            for s in services { proxier.upsert(s) }
            for s in slices { proxier.upsert(s) }
            current = (services, slices)
            try proxier.syncNow()
        }
        proxier.markSynced()
        try load(row.services, row.slices)
        for (i, step) in row.steps.enumerated() {
            switch step {
            case let .expect(spot, proto, host, port, want, count, sport):
                let lines = try lab.connect(from: spot, proto, host, port, count: count, sourcePort: sport)
                let why = want.check(lines)
                #expect(why == nil, "\(row.name) step \(i): \(spot) \(proto) \(host):\(port) should be \(want): \(why ?? "")")
                if why != nil, let pause = ProcessInfo.processInfo.environment["TRELLIS_MATRIX_PAUSE"] {
                    print("matrix: pausing \(pause) s; node namespace \(lab.node.name), pods \(lab.pods.mapValues(\.name))")
                    sleep(UInt32(pause) ?? 60)
                }
            case let .update(services, slices):
                try load(services, slices)
            case let .affinityExpires(spot, host, port, idle, cycles):
                var seen = Set<String>()
                for _ in 0..<cycles where seen.count < 2 {
                    usleep(UInt32(idle * 1e6))
                    for l in try lab.connect(from: spot, "tcp", host, port) { seen.insert(l) }
                }
                #expect(seen.count >= 2, "\(row.name) step \(i): affinity never expired: \(seen)")
            }
        }
    }
}

@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct BehaviourMatrixTests {
    @Test func nftablesBackend() throws {
        let lab = try Lab()
        try runMatrix(lab) { lab in NFTablesBackend(nft: try NFTablesConnection(in: lab.node.netns)) }
    }
}
