import KubeAPI
import NetAddr
import Testing
@testable import ServiceProxy

/// One row: the kube-proxy rule it checks, the objects, and the expected plan of one port.
struct ModelCase: Sendable, CustomStringConvertible {
    var rule: String
    var services: [Service]
    var slices: [EndpointSlice] = []
    var nodes: [Node] = []
    var family: IPFamily = .v4
    var port = "default/web:/tcp"
    /// Expected `targets` of that port; nil = the port must not be in the plan.
    var expect: String?
    var description: String { rule }
}

private typealias F = Fixture
private let web = F.port(nil, "TCP", 80)
private func svc(_ edit: @escaping (inout ServiceSpec) -> Void = { _ in }, type: String = "ClusterIP",
                 ports: [ServicePort] = [web], labels: [String: String]? = nil) -> Service {
    F.service("web", ip: "10.96.0.10", type: type, ports: ports, labels: labels, edit)
}
private func slice(_ eps: [Endpoint], name: String? = nil, port: Int32 = 8080) -> EndpointSlice {
    F.slice("web", name: name, ports: [(nil, "TCP", port)], eps)
}

let modelCases: [ModelCase] = [
    ModelCase(rule: "ignore clusterIP None (headless)",
              services: [F.service("web", ip: "None", ports: [web])], slices: [slice([F.ep("10.1.0.5")])], expect: nil),
    ModelCase(rule: "ignore ExternalName",
              services: [svc({ $0.externalName = "example.com" }, type: "ExternalName")], expect: nil),
    ModelCase(rule: "ignore service-proxy-name that is not ours",
              services: [svc(labels: ["service.kubernetes.io/service-proxy-name": "other"])], expect: nil),
    ModelCase(rule: "ignore service.kubernetes.io/headless label",
              services: [svc(labels: ["service.kubernetes.io/headless": ""])], expect: nil),
    ModelCase(rule: "ClusterIP: ready endpoints, uniformly",
              services: [svc()], slices: [slice([F.ep("10.1.0.6", node: "node-b"), F.ep("10.1.0.5")])],
              expect: "internal -> 10.1.0.5:8080(local) 10.1.0.6:8080; external -> -"),
    ModelCase(rule: "slices of one Service merge; an endpoint in two slices counts once",
              services: [svc()], slices: [slice([F.ep("10.1.0.5")], name: "a"), slice([F.ep("10.1.0.5"), F.ep("10.1.0.7")], name: "b")],
              expect: "internal -> 10.1.0.5:8080(local) 10.1.0.7:8080(local); external -> -"),
    ModelCase(rule: "nil ready/serving = true, nil terminating = false",
              services: [svc()], slices: [slice([F.ep("10.1.0.5", ready: nil, serving: nil, terminating: nil)])],
              expect: "internal -> 10.1.0.5:8080(local); external -> -"),
    ModelCase(rule: "not-ready endpoints are not used while a ready one exists",
              services: [svc()], slices: [slice([F.ep("10.1.0.5", ready: false, serving: true, terminating: true), F.ep("10.1.0.6")])],
              expect: "internal -> 10.1.0.6:8080(local); external -> -"),
    ModelCase(rule: "none ready: fall back to serving+terminating",
              services: [svc()], slices: [slice([F.ep("10.1.0.5", ready: false, serving: true, terminating: true),
                                                 F.ep("10.1.0.6", ready: false, serving: false, terminating: true)])],
              expect: "internal -> 10.1.0.5:8080(local); external -> -"),
    ModelCase(rule: "no usable endpoint: REJECT",
              services: [svc()], slices: [slice([F.ep("10.1.0.5", ready: false, serving: false)])],
              expect: "internal -> REJECT; external -> -"),
    ModelCase(rule: "no slice at all: REJECT",
              services: [svc()], expect: "internal -> REJECT; external -> -"),
    ModelCase(rule: "slice ports match by name and protocol",
              services: [svc(ports: [F.port("http", "TCP", 80), F.port("dns", "UDP", 53)])],
              slices: [F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.5")])],
              port: "default/web:dns/udp", expect: "internal -> 10.1.0.5:5353(local); external -> -"),
    ModelCase(rule: "NodePort: external traffic uses the cluster set (eTP Cluster)",
              services: [svc(type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])],
              slices: [slice([F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> 10.1.0.6:8080; external -> 10.1.0.6:8080"),
    ModelCase(rule: "eTP Local: external traffic to local endpoints only",
              services: [svc({ $0.externalTrafficPolicy = "Local" }, type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])],
              slices: [slice([F.ep("10.1.0.5"), F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> 10.1.0.5:8080(local) 10.1.0.6:8080; external -> 10.1.0.5:8080(local)"),
    ModelCase(rule: "eTP Local, none local but some elsewhere: DROP external",
              services: [svc({ $0.externalTrafficPolicy = "Local" }, type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])],
              slices: [slice([F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> 10.1.0.6:8080; external -> DROP"),
    ModelCase(rule: "eTP Local, no endpoints at all: REJECT",
              services: [svc({ $0.externalTrafficPolicy = "Local" }, type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])],
              expect: "internal -> REJECT; external -> REJECT"),
    ModelCase(rule: "eTP Local: local serving+terminating fallback when no local endpoint is ready",
              services: [svc({ $0.externalTrafficPolicy = "Local" }, type: "NodePort", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])],
              slices: [slice([F.ep("10.1.0.5", ready: false, serving: true, terminating: true), F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> 10.1.0.6:8080; external -> 10.1.0.5:8080(local)"),
    ModelCase(rule: "iTP Local: ClusterIP to local endpoints only",
              services: [svc({ $0.internalTrafficPolicy = "Local" })],
              slices: [slice([F.ep("10.1.0.5"), F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> 10.1.0.5:8080(local); external -> -"),
    ModelCase(rule: "iTP Local, none local: DROP",
              services: [svc({ $0.internalTrafficPolicy = "Local" })], slices: [slice([F.ep("10.1.0.6", node: "node-b")])],
              expect: "internal -> DROP; external -> -"),
    ModelCase(rule: "topology: zone hints used when every ready endpoint has them",
              services: [svc({ $0.trafficDistribution = "PreferClose" })],
              slices: [slice([F.ep("10.1.0.5", node: "node-b", zones: ["z1"]), F.ep("10.1.0.6", node: "node-c", zones: ["z2"])])],
              nodes: [F.node("node-a", zone: "z1")], expect: "internal -> 10.1.0.5:8080; external -> -"),
    ModelCase(rule: "topology: ignored when one ready endpoint has no hints",
              services: [svc({ $0.trafficDistribution = "PreferClose" })],
              slices: [slice([F.ep("10.1.0.5", node: "node-b", zones: ["z1"]), F.ep("10.1.0.6", node: "node-c")])],
              nodes: [F.node("node-a", zone: "z1")], expect: "internal -> 10.1.0.5:8080 10.1.0.6:8080; external -> -"),
    ModelCase(rule: "topology: ignored without trafficDistribution or the topology-mode annotation",
              services: [svc()],
              slices: [slice([F.ep("10.1.0.5", node: "node-b", zones: ["z1"]), F.ep("10.1.0.6", node: "node-c", zones: ["z2"])])],
              nodes: [F.node("node-a", zone: "z1")], expect: "internal -> 10.1.0.5:8080 10.1.0.6:8080; external -> -"),
    ModelCase(rule: "topology: no hint for our zone keeps all",
              services: [svc({ $0.trafficDistribution = "PreferClose" })],
              slices: [slice([F.ep("10.1.0.5", node: "node-b", zones: ["z2"]), F.ep("10.1.0.6", node: "node-c", zones: ["z2"])])],
              nodes: [F.node("node-a", zone: "z1")], expect: "internal -> 10.1.0.5:8080 10.1.0.6:8080; external -> -"),
    ModelCase(rule: "topology: PreferSameNode uses node hints",
              services: [svc({ $0.trafficDistribution = "PreferSameNode" })],
              slices: [slice([F.ep("10.1.0.5", zones: ["z1"], nodes: ["node-a"]), F.ep("10.1.0.6", node: "node-b", zones: ["z1"], nodes: ["node-b"])])],
              nodes: [F.node("node-a", zone: "z1")], expect: "internal -> 10.1.0.5:8080(local); external -> -"),
    ModelCase(rule: "dual-stack: the IPv6 plan uses the IPv6 ClusterIP and IPv6 slices",
              services: [F.service("web", ip: "10.96.0.10", ips: ["10.96.0.10", "fd00:96::10"], ports: [web])],
              slices: [slice([F.ep("10.1.0.5")]), F.slice("web", type: "IPv6", ports: [(nil, "TCP", 8080)], [F.ep("fd00:10::5")])],
              family: .v6, expect: "internal -> [fd00:10::5]:8080(local); external -> -"),
    ModelCase(rule: "single-stack IPv4 Service is absent from the IPv6 plan",
              services: [svc()], slices: [slice([F.ep("10.1.0.5")])], family: .v6, expect: nil),
]

@Suite struct ProxyModelTests {
    @Test(arguments: modelCases)
    func rule(_ c: ModelCase) {
        let plan = ProxyModel.plan(ProxyInputs(services: c.services, endpointSlices: c.slices, nodes: c.nodes),
                                   config: Fixture.config)[c.family]
        let port = plan.services.values.first { $0.name.description == c.port }
        #expect(port?.targets == c.expect, "\(c.rule)\n\(plan)")
    }

    @Test func affinityDefaultAndExplicitTimeout() {
        let a = svc({ $0.sessionAffinity = "ClientIP" })
        let b = F.service("b", ip: "10.96.0.11", ports: [web]) {
            $0.sessionAffinity = "ClientIP"
            var c = SessionAffinityConfig(); var ip = ClientIPConfig(); ip.timeoutSeconds = 5; c.clientIP = ip
            $0.sessionAffinityConfig = c
        }
        let plan = ProxyModel.plan(ProxyInputs(services: [a, b], endpointSlices: []), config: Fixture.config).v4
        #expect(plan.sortedServices.map(\.affinitySeconds) == [5, 10800])
    }

    @Test func loadBalancerIPsAndSourceRangesPerFamily() {
        var s = svc({ $0.loadBalancerSourceRanges = ["192.0.2.0/24", " 2001:db8::/32", "198.51.100.7/32"];
                      $0.externalIPs = ["203.0.113.9", "2001:db8::9"] },
                    type: "LoadBalancer", ports: [F.port(nil, "TCP", 80, nodePort: 30080)])
        var st = ServiceStatus(); var lb = LoadBalancerStatus()
        var i1 = LoadBalancerIngress(); i1.ip = "203.0.113.1"
        var i2 = LoadBalancerIngress(); i2.ip = "203.0.113.2"; i2.ipMode = "Proxy"
        lb.ingress = [i1, i2]; st.loadBalancer = lb; s.status = st
        let p = ProxyModel.plan(ProxyInputs(services: [s], endpointSlices: []), config: Fixture.config).v4.sortedServices[0]
        #expect(p.loadBalancerIPs.map(\.description) == ["203.0.113.1"])
        #expect(p.externalIPs.map(\.description) == ["203.0.113.9"])
        #expect(p.sourceRanges.map(\.description) == ["192.0.2.0/24", "198.51.100.7/32"])
        #expect(p.nodePort == 30080)
    }

    @Test func healthCheckCountsLocalEndpoints() {
        let s = svc({ $0.externalTrafficPolicy = "Local"; $0.healthCheckNodePort = 32000 },
                    type: "LoadBalancer", ports: [F.port("a", "TCP", 80, nodePort: 30080), F.port("b", "TCP", 81, nodePort: 30081)])
        let sl = F.slice("web", ports: [("a", "TCP", 8080), ("b", "TCP", 8081)],
                         [F.ep("10.1.0.5"), F.ep("10.1.0.6"), F.ep("10.1.0.7", node: "node-b")])
        let set = ProxyModel.plan(ProxyInputs(services: [s], endpointSlices: [sl]), config: Fixture.config)
        #expect(Array(set.healthChecks.values) == [HealthCheck(service: NamespacedName("default", "web"), nodePort: 32000, localEndpoints: 2)])
    }

    @Test func nodePortAddressesFilter() {
        var c = Fixture.config
        c.nodeAddresses += [IPAddress("172.16.0.1")!]
        c.nodePortAddresses = [IPPrefix("192.168.0.0/16")!]
        #expect(c.nodePortIPs(.v4).map(\.description) == ["192.168.0.10"])
        #expect(c.nodePortIPs(.v6).isEmpty)
    }

    @Test func goldenPlan() {
        let services = [
            svc({ $0.sessionAffinity = "ClientIP" }, ports: [F.port("http", "TCP", 80), F.port("dns", "UDP", 53)]),
            F.service("lb", ns: "prod", ip: "10.96.0.20", ips: ["10.96.0.20", "fd00:96::20"], type: "LoadBalancer",
                      ports: [F.port(nil, "TCP", 443, nodePort: 30443)]) {
                $0.externalTrafficPolicy = "Local"; $0.healthCheckNodePort = 32001
                $0.externalIPs = ["203.0.113.9"]; $0.loadBalancerSourceRanges = ["192.0.2.0/24"]
            },
            F.service("empty", ip: "10.96.0.30", ports: [F.port(nil, "UDP", 53)]),
        ]
        let slices = [
            F.slice("web", ports: [("http", "TCP", 8080), ("dns", "UDP", 5353)], [F.ep("10.1.0.5"), F.ep("10.1.1.5", node: "node-b")]),
            F.slice("lb", ns: "prod", ports: [(nil, "TCP", 8443)], [F.ep("10.1.1.9", node: "node-b")]),
            F.slice("lb", ns: "prod", type: "IPv6", ports: [(nil, "TCP", 8443)], [F.ep("fd00:10::9")]),
        ]
        let set = ProxyModel.plan(ProxyInputs(services: services, endpointSlices: slices), config: Fixture.config)
        #expect(golden("plan-mixed", set.description))
    }
}
