/// Transport protocols a Service port can use. Raw values are IP protocol numbers.
public enum TransportProtocol: UInt8, Hashable, Sendable, Comparable, CustomStringConvertible {
    case tcp = 6
    case udp = 17
    case sctp = 132

    /// Parses a Kubernetes protocol name (`TCP`, `UDP`, `SCTP`; nil is TCP, as the API defaults).
    public init?(kubernetes name: String?) {
        switch name ?? "TCP" {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "SCTP": self = .sctp
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }

    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}

/// A namespaced object name (`default/web`).
public struct NamespacedName: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var namespace: String
    public var name: String

    public init(_ namespace: String, _ name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(namespace)/\(name)" }

    public static func < (l: Self, r: Self) -> Bool { (l.namespace, l.name) < (r.namespace, r.name) }
}

/// One port of one Service: what kube-proxy calls a `ServicePortName`
/// (`default/web:http/tcp`; the port name is empty for a single unnamed port).
public struct ServicePortName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var service: NamespacedName
    public var port: String
    public var proto: TransportProtocol

    public init(_ service: NamespacedName, port: String, proto: TransportProtocol) {
        self.service = service
        self.port = port
        self.proto = proto
    }

    public var description: String { "\(service):\(port)/\(proto)" }

    public static func < (l: Self, r: Self) -> Bool {
        (l.service, l.port, l.proto) < (r.service, r.port, r.proto)
    }
}
