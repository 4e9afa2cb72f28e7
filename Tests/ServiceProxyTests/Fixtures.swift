import Foundation
import KubeAPI
import NetAddr
@testable import ServiceProxy

/// Builders for the objects the proxy reads, shared by the model, backend and kernel tests.
enum Fixture {
    static func service(_ name: String, ns: String = "default", ip: String, ips: [String]? = nil,
                        type: String = "ClusterIP", ports: [ServicePort],
                        labels: [String: String]? = nil, _ edit: (inout ServiceSpec) -> Void = { _ in }) -> Service {
        var s = Service()
        s.metadata = ObjectMeta(name: name, namespace: ns, labels: labels)
        var spec = ServiceSpec()
        spec.clusterIP = ip
        spec.clusterIPs = ips ?? [ip]
        spec.type = type
        spec.ports = ports
        edit(&spec)
        s.spec = spec
        return s
    }

    static func port(_ name: String? = nil, _ proto: String = "TCP", _ port: Int32, nodePort: Int32? = nil) -> ServicePort {
        var p = ServicePort(name: name, protocol: proto, port: port)
        p.nodePort = nodePort
        return p
    }

    static func slice(_ service: String, ns: String = "default", name: String? = nil, type: String = "IPv4",
                      ports: [(String?, String, Int32)], _ endpoints: [Endpoint]) -> EndpointSlice {
        var s = EndpointSlice()
        s.metadata = ObjectMeta(name: name ?? "\(service)-\(type.lowercased())", namespace: ns,
                                labels: ["kubernetes.io/service-name": service])
        s.addressType = type
        s.ports = ports.map { n, proto, p in
            var ep = EndpointPort()
            ep.name = n
            ep.protocol = proto
            ep.port = p
            return ep
        }
        s.endpoints = endpoints
        return s
    }

    static func ep(_ address: String, node: String? = "node-a", ready: Bool? = nil, serving: Bool? = nil,
                   terminating: Bool? = nil, zones: [String]? = nil, nodes: [String]? = nil) -> Endpoint {
        var e = Endpoint(addresses: [address], nodeName: node)
        if ready != nil || serving != nil || terminating != nil {
            e.conditions = EndpointConditions(ready: ready, serving: serving, terminating: terminating)
        }
        if zones != nil || nodes != nil {
            var h = EndpointHints()
            h.forZones = zones?.map { var z = EndpointHints.ForZone(); z.name = $0; return z }
            h.forNodes = nodes?.map { var z = EndpointHints.ForNode(); z.name = $0; return z }
            e.hints = h
        }
        return e
    }

    static func node(_ name: String, zone: String? = nil, addresses: [String] = []) -> Node {
        var n = Node()
        n.metadata = ObjectMeta(name: name, labels: zone.map { ["topology.kubernetes.io/zone": $0] })
        var st = NodeStatus()
        st.addresses = addresses.map { var a = NodeAddress(); a.type = "InternalIP"; a.address = $0; return a }
        n.status = st
        return n
    }

    static let config = ProxyConfig(nodeName: "node-a", nodeAddresses: [IPAddress("192.168.0.10")!, IPAddress("fd00:1::10")!],
                                    clusterCIDRs: [IPPrefix("10.1.0.0/16")!, IPPrefix("fd00:10::/64")!])
}

extension ServicePortPlan {
    /// `internal -> …` / `external -> …` of the plan, for compact assertions.
    var targets: String { "internal -> \(internalTarget); external -> \(hasExternal ? externalTarget.description : "-")" }
}

/// Compares `text` with `Golden/<name>.txt`; `TRELLIS_UPDATE_GOLDEN=1` rewrites the file.
func golden(_ name: String, _ text: String, file: String = #filePath) -> Bool {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden/\(name).txt")
    if ProcessInfo.processInfo.environment["TRELLIS_UPDATE_GOLDEN"] == "1" {
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return true
    }
    let want = (try? String(contentsOf: url, encoding: .utf8)) ?? "<missing \(url.path)>"
    if want != text { print("golden \(name) differs:\n--- want\n\(want)\n--- got\n\(text)") }
    return want == text
}
