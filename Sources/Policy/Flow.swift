import NetAddr

/// A transport protocol NetworkPolicy can name. Raw values are IP protocol numbers.
public enum L4Proto: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tcp = 6, udp = 17, sctp = 132

    /// `TCP`, `UDP`, `SCTP` as the API spells them; nil for anything else.
    public init?(apiName: String) {
        switch apiName {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "SCTP": self = .sctp
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .tcp: "TCP"
        case .udp: "UDP"
        case .sctp: "SCTP"
        }
    }
}

/// One connection attempt: the first packet of a flow, after Service DNAT.
public struct Flow: Sendable, Hashable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var port: UInt16
    public var proto: L4Proto

    public init(source: IPAddress, destination: IPAddress, port: UInt16, proto: L4Proto) {
        self.source = source
        self.destination = destination
        self.port = port
        self.proto = proto
    }

    public var description: String { "\(source) -> \(destination) \(port)/\(proto)" }
}

/// Traffic direction, from the point of view of the pod a policy selects.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    case ingress, egress
}

/// What one direction's evaluation decided, and which rule decided it (for `--explain`).
public struct DirectionDecision: Sendable, Hashable, CustomStringConvertible {
    public var allowed: Bool
    public var reason: String

    public init(allowed: Bool, reason: String) {
        self.allowed = allowed
        self.reason = reason
    }

    public var description: String { "\(allowed ? "allow" : "deny") (\(reason))" }
}

/// The verdict on a flow: allowed when the source's egress AND the destination's ingress allow it.
public struct PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    public var egress: DirectionDecision
    public var ingress: DirectionDecision
    public var allowed: Bool { egress.allowed && ingress.allowed }

    public var description: String {
        "\(allowed ? "ALLOW" : "DENY"): egress \(egress); ingress \(ingress)"
    }
}
