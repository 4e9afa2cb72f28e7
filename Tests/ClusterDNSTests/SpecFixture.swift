import ClusterDNS
import DNSWire
import Foundation
import KubeAPI
import NetAddr

/// The cluster the spec table runs against: ClusterIP, dual-stack, headless (with
/// hostnames, pod names, a not-ready endpoint), publishNotReadyAddresses, ExternalName,
/// a large headless Service (truncation) and Pods.
enum SpecFixture {
    static func meta(_ name: String, _ ns: String?, labels: [String: String]? = nil) -> ObjectMeta {
        var m = ObjectMeta()
        m.name = name
        m.namespace = ns
        m.labels = labels
        return m
    }

    static func service(_ name: String, _ ns: String = "default", clusterIP: String, clusterIPs: [String]? = nil,
                        ports: [(String?, String, Int32)] = [], publishNotReady: Bool? = nil,
                        externalName: String? = nil) -> Service {
        var s = Service()
        s.metadata = meta(name, ns)
        var spec = ServiceSpec()
        spec.clusterIP = clusterIP
        spec.clusterIPs = clusterIPs
        spec.ports = ports.map { p in
            var sp = ServicePort()
            sp.name = p.0
            sp.protocol = p.1
            sp.port = p.2
            return sp
        }
        spec.publishNotReadyAddresses = publishNotReady
        if let externalName { spec.type = "ExternalName"; spec.externalName = externalName; spec.clusterIP = nil }
        s.spec = spec
        return s
    }

    struct EP { var ip: String; var ready = true; var hostname: String? = nil; var pod: String? = nil }

    static func slice(_ name: String, _ ns: String = "default", service: String, type: String = "IPv4",
                      ports: [(String?, String, Int32)] = [], endpoints: [EP]) -> EndpointSlice {
        var e = EndpointSlice()
        e.metadata = meta(name, ns, labels: ["kubernetes.io/service-name": service])
        e.addressType = type
        e.ports = ports.map { EndpointPort(name: $0.0, protocol: $0.1, port: $0.2) }
        e.endpoints = endpoints.map { x in
            var ep = Endpoint(addresses: [x.ip], conditions: EndpointConditions(ready: x.ready))
            ep.hostname = x.hostname
            if let pod = x.pod {
                var r = ObjectReference()
                r.kind = "Pod"
                r.name = pod
                r.namespace = ns
                ep.targetRef = r
            }
            return ep
        }
        return e
    }

    static func pod(_ name: String, _ ns: String = "default", ip: String, hostname: String? = nil, subdomain: String? = nil) -> Pod {
        var p = Pod()
        p.metadata = meta(name, ns)
        var spec = PodSpec()
        spec.hostname = hostname
        spec.subdomain = subdomain
        p.spec = spec
        var st = PodStatus()
        st.podIP = ip
        st.podIPs = [PodIP(ip)]
        p.status = st
        return p
    }

    static func namespace(_ name: String) -> Namespace {
        var n = Namespace()
        n.metadata = meta(name, nil)
        return n
    }

    /// The objects, in the order an informer might deliver them.
    static var objects: [any KubeObject] {
        var out: [any KubeObject] = [namespace("default"), namespace("ns1"), namespace("empty-ns")]
        out.append(service("web", clusterIP: "10.96.0.10",
                           ports: [("http", "TCP", 80), ("dns", "UDP", 53), (nil, "TCP", 8080)]))
        out.append(service("dual", clusterIP: "10.96.0.11", clusterIPs: ["10.96.0.11", "fd00::11"]))
        out.append(service("hl", clusterIP: "None", ports: [("http", "TCP", 8080)]))
        out.append(slice("hl-a", service: "hl", ports: [("http", "TCP", 8080)], endpoints: [
            EP(ip: "10.1.0.1", hostname: "pet-0"), EP(ip: "10.1.0.2", pod: "hl-abc"), EP(ip: "10.1.0.3", ready: false),
        ]))
        out.append(service("hlpub", clusterIP: "None", publishNotReady: true))
        out.append(slice("hlpub-a", service: "hlpub", endpoints: [EP(ip: "10.1.1.1", ready: false)]))
        out.append(service("hlempty", clusterIP: "None"))
        out.append(slice("hlempty-a", service: "hlempty", endpoints: [EP(ip: "10.1.2.1", ready: false)]))
        out.append(service("ext", clusterIP: "", externalName: "example.com"))
        out.append(service("big", clusterIP: "None"))
        out.append(slice("big-a", service: "big", endpoints: (1...100).map { EP(ip: "10.2.0.\($0)") }))
        out.append(service("api", "ns1", clusterIP: "10.96.1.1"))
        out.append(pod("p1", ip: "10.1.0.50"))
        out.append(pod("named", ip: "10.1.0.60", hostname: "myhost", subdomain: "hl"))
        return out
    }

    static let options = ZoneOptions(zone: "cluster.local.", ttl: 30, pods: .verified)

    /// A synced zone holding the fixture.
    static func zone(_ options: ZoneOptions = SpecFixture.options) -> ClusterZone {
        let z = ClusterZone(options: options)
        z.update { s in for o in objects { s.upsert(any: o) } }
        z.markSynced()
        z.flush()
        return z
    }
}

/// One row of the spec table: a question and the answer the specification asks for.
struct SpecCase: Sendable, CustomTestStringConvertible {
    var name: String
    var type: String
    var rcode: String
    /// Answer RRs as "TYPE rdata" in dig's presentation, any order.
    var answer: [String] = []
    /// True when the authority section must hold the zone's SOA (negative answers).
    var soa = false
    var testDescription: String { "\(name) \(type) → \(rcode) \(answer)" }
}

import Testing

let zoneName = "cluster.local."
let specCases: [SpecCase] = [
    SpecCase(name: "web.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.96.0.10"]),
    SpecCase(name: "WeB.DeFault.SVC.cluster.LOCAL.", type: "A", rcode: "NOERROR", answer: ["A 10.96.0.10"]),
    SpecCase(name: "web.default.svc.cluster.local.", type: "AAAA", rcode: "NOERROR", soa: true),
    SpecCase(name: "web.default.svc.cluster.local.", type: "TXT", rcode: "NOERROR", soa: true),
    SpecCase(name: "dual.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.96.0.11"]),
    SpecCase(name: "dual.default.svc.cluster.local.", type: "AAAA", rcode: "NOERROR", answer: ["AAAA fd00::11"]),
    SpecCase(name: "_http._tcp.web.default.svc.cluster.local.", type: "SRV", rcode: "NOERROR",
             answer: ["SRV 0 100 80 web.default.svc.cluster.local."]),
    SpecCase(name: "_dns._udp.web.default.svc.cluster.local.", type: "SRV", rcode: "NOERROR",
             answer: ["SRV 0 100 53 web.default.svc.cluster.local."]),
    SpecCase(name: "_http._udp.web.default.svc.cluster.local.", type: "SRV", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "_tcp.web.default.svc.cluster.local.", type: "SRV", rcode: "NOERROR", soa: true),
    SpecCase(name: "hl.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.1", "A 10.1.0.2"]),
    SpecCase(name: "pet-0.hl.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.1"]),
    SpecCase(name: "10-1-0-2.hl.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.2"]),
    SpecCase(name: "10-1-0-3.hl.default.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "_http._tcp.hl.default.svc.cluster.local.", type: "SRV", rcode: "NOERROR",
             answer: ["SRV 0 100 8080 pet-0.hl.default.svc.cluster.local.",
                      "SRV 0 100 8080 10-1-0-2.hl.default.svc.cluster.local."]),
    SpecCase(name: "myhost.hl.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.60"]),
    SpecCase(name: "hlpub.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.1.1"]),
    SpecCase(name: "hlempty.default.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "ext.default.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["CNAME example.com."]),
    SpecCase(name: "ext.default.svc.cluster.local.", type: "CNAME", rcode: "NOERROR", answer: ["CNAME example.com."]),
    SpecCase(name: "10.0.96.10.in-addr.arpa.", type: "PTR", rcode: "NOERROR", answer: ["PTR web.default.svc.cluster.local."]),
    SpecCase(name: "1.0.1.10.in-addr.arpa.", type: "PTR", rcode: "NOERROR", answer: ["PTR pet-0.hl.default.svc.cluster.local."]),
    SpecCase(name: "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", type: "PTR",
             rcode: "NOERROR", answer: ["PTR dual.default.svc.cluster.local."]),
    SpecCase(name: "dns-version.cluster.local.", type: "TXT", rcode: "NOERROR", answer: ["TXT \"1.1.0\""]),
    SpecCase(name: "cluster.local.", type: "SOA", rcode: "NOERROR",
             answer: ["SOA ns.dns.cluster.local. hostmaster.cluster.local."]),
    SpecCase(name: "cluster.local.", type: "NS", rcode: "NOERROR", answer: ["NS ns.dns.cluster.local."]),
    SpecCase(name: "svc.cluster.local.", type: "A", rcode: "NOERROR", soa: true),
    SpecCase(name: "default.svc.cluster.local.", type: "A", rcode: "NOERROR", soa: true),
    SpecCase(name: "empty-ns.svc.cluster.local.", type: "A", rcode: "NOERROR", soa: true),
    SpecCase(name: "nosuch.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "missing.default.svc.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "nosuch.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "api.ns1.svc.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.96.1.1"]),
    SpecCase(name: "10-1-0-50.default.pod.cluster.local.", type: "A", rcode: "NOERROR", answer: ["A 10.1.0.50"]),
    SpecCase(name: "10-9-9-9.default.pod.cluster.local.", type: "A", rcode: "NXDOMAIN", soa: true),
    SpecCase(name: "pod.cluster.local.", type: "A", rcode: "NOERROR", soa: true),
    SpecCase(name: "web.default.svc.cluster.local.", type: "ANY", rcode: "NOERROR", answer: ["HINFO \"RFC8482\" \"\""]),
]
