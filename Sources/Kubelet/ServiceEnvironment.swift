import Foundation
import KubeAPI

/// The Docker-link-style variables the kubelet gives every container for the Services of its
/// namespace (and the `kubernetes` Service of `default`), when `enableServiceLinks` is not
/// false: `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT[_PORTNAME]`, `NAME_PORT`, `NAME_PORT_P_PROTO[_PROTO|_PORT|_ADDR]`.
public enum ServiceEnvironment {
    public static func variables(for pod: Pod, services: [Service]) -> [(String, String)] {
        let namespace = pod.namespace ?? "default"
        let links = pod.spec?.enableServiceLinks ?? true
        let chosen = services.filter { s in
            let ns = s.namespace ?? "default"
            if ns == namespace && links { return true }
            return ns == "default" && s.name == "kubernetes"
        }
        var out: [(String, String)] = []
        for service in chosen.sorted(by: { $0.name < $1.name }) {
            guard let spec = service.spec, let ip = spec.clusterIP, !ip.isEmpty, ip != "None",
                  let ports = spec.ports, let first = ports.first else { continue }
            let name = service.name.uppercased().replacingOccurrences(of: "-", with: "_")
            out.append(("\(name)_SERVICE_HOST", ip))
            out.append(("\(name)_SERVICE_PORT", String(first.port)))
            for p in ports {
                if let portName = p.name, !portName.isEmpty {
                    out.append(("\(name)_SERVICE_PORT_\(portName.uppercased().replacingOccurrences(of: "-", with: "_"))", String(p.port)))
                }
            }
            let host = ip.contains(":") ? "[\(ip)]" : ip
            out.append(("\(name)_PORT", "\((first.protocol ?? "TCP").lowercased())://\(host):\(first.port)"))
            for p in ports {
                let proto = p.protocol ?? "TCP"
                let prefix = "\(name)_PORT_\(p.port)_\(proto.uppercased())"
                out.append((prefix, "\(proto.lowercased())://\(host):\(p.port)"))
                out.append((prefix + "_PROTO", proto.lowercased()))
                out.append((prefix + "_PORT", String(p.port)))
                out.append((prefix + "_ADDR", ip))
            }
        }
        return out
    }
}
