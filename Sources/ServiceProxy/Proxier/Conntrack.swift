import Foundation
import NetAddr

/// Which conntrack entries to delete: every given field must match. Equivalent to
/// `conntrack -D -f ipv4 -p udp --orig-dst A --dport P --reply-src B`.
public struct ConntrackFilter: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var family: IPFamily
    public var proto: TransportProtocol
    public var originalDestination: IPAddress?
    public var originalDestinationPort: UInt16?
    public var replySource: IPAddress?

    public init(family: IPFamily, proto: TransportProtocol, originalDestination: IPAddress? = nil,
                originalDestinationPort: UInt16? = nil, replySource: IPAddress? = nil) {
        self.family = family
        self.proto = proto
        self.originalDestination = originalDestination
        self.originalDestinationPort = originalDestinationPort
        self.replySource = replySource
    }

    /// The `conntrack` arguments after `-D`.
    public var arguments: [String] {
        var a = ["-f", family == .v4 ? "ipv4" : "ipv6", "-p", "\(proto)"]
        if let originalDestination { a += ["--orig-dst", "\(originalDestination)"] }
        if let originalDestinationPort { a += ["--dport", "\(originalDestinationPort)"] }
        if let replySource { a += ["--reply-src", "\(replySource)"] }
        return a
    }

    public var description: String { "conntrack -D " + arguments.joined(separator: " ") }

    public static func < (l: Self, r: Self) -> Bool { l.description < r.description }
}

/// Deletes conntrack entries. The proxier calls it after a sync for UDP Services whose
/// endpoints changed: a UDP "connection" otherwise keeps its old NAT (or its missing NAT)
/// for as long as packets keep coming.
public protocol ConntrackOps: Sendable {
    func delete(_ filters: [ConntrackFilter]) throws
}

/// `conntrack -D` from conntrack-tools (exit status 1 = nothing matched, not an error),
/// run in the network namespace at `netnsPath` when given (through `nsenter`).
public struct ConntrackTool: ConntrackOps {
    public var netnsPath: String?

    public init(netnsPath: String? = nil) { self.netnsPath = netnsPath }

    public func delete(_ filters: [ConntrackFilter]) throws {
        for f in filters {
            let prefix = netnsPath.map { ["nsenter", "--net=\($0)"] } ?? []
            let status = try runCommand(prefix + ["conntrack", "-D"] + f.arguments)
            if status != 0 && status != 1 { throw ProxyError("conntrack -D", "\(f)", status: status) }
        }
    }
}

/// Records filters instead of deleting (tests).
public final class ConntrackRecorder: ConntrackOps, @unchecked Sendable {
    private let lock = NSLock()
    private var _filters: [ConntrackFilter] = []
    public init() {}
    public var filters: [ConntrackFilter] { lock.withLock { _filters } }
    public func delete(_ filters: [ConntrackFilter]) throws { lock.withLock { _filters += filters } }
}

/// The conntrack deletions one sync needs (kube-proxy's stale-UDP rules), from the old and
/// new plans of the changed UDP Service ports:
/// - an endpoint that went away: entries whose reply comes from it, for each address and
///   port the Service answers on (ClusterIP, externalIPs, LB IPs, NodePort);
/// - a Service port that had no endpoint and now has some: entries to its addresses, which
///   were never NATed (the traffic went elsewhere or was rejected).
enum ConntrackCleanup {
    static func filters(old: ServicePortPlan?, new: ServicePortPlan?) -> [ConntrackFilter] {
        guard let p = old ?? new, p.proto == .udp else { return [] }
        let family = p.clusterIP.family
        let oldEps = Set((old?.allEndpoints ?? []).map(\.address))
        let newEps = Set((new?.allEndpoints ?? []).map(\.address))
        var out = Set<ConntrackFilter>()
        func destinations(_ q: ServicePortPlan) -> [(IPAddress?, UInt16)] {
            [(q.clusterIP, q.port)] + (q.externalIPs + q.loadBalancerIPs).map { ($0, q.port) }
                + (q.nodePort.map { [(nil, $0)] } ?? [])
        }
        if let old {
            for ep in oldEps.subtracting(newEps) {
                for (dst, port) in destinations(old) {
                    out.insert(ConntrackFilter(family: family, proto: .udp, originalDestination: dst,
                                               originalDestinationPort: port, replySource: ep))
                }
            }
        }
        if let new, oldEps.isEmpty, !newEps.isEmpty {
            for (dst, port) in destinations(new) where dst != nil {
                out.insert(ConntrackFilter(family: family, proto: .udp, originalDestination: dst, originalDestinationPort: port))
            }
        }
        return out.sorted()
    }
}
