import KubeAPI
import NetAddr

/// Node IPAM: each Node gets `spec.podCIDR(s)`, one subnet per cluster CIDR (so one per family
/// on a dual-stack cluster), carved from the cluster CIDRs at a fixed mask size. Pure: from the
/// current Nodes, the assignments to make. Existing assignments are kept and never reused.
public struct NodeCIDRAllocator: Sendable {
    public let clusterCIDRs: [IPPrefix]
    /// Mask size of a node's subnet, per cluster CIDR (kube-controller-manager defaults: /24, /64).
    public let nodeMaskSizes: [Int]

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(clusterCIDRs: [IPPrefix], nodeMaskSizes: [Int]? = nil) throws(ConfigurationError) {
        guard !clusterCIDRs.isEmpty, clusterCIDRs.count <= 2 else {
            throw ConfigurationError(description: "one or two cluster CIDRs are needed (one per IP family), got \(clusterCIDRs.count)")
        }
        if clusterCIDRs.count == 2, clusterCIDRs[0].family == clusterCIDRs[1].family {
            throw ConfigurationError(description: "two cluster CIDRs must be of different IP families")
        }
        let sizes = nodeMaskSizes ?? clusterCIDRs.map { $0.family == .v4 ? 24 : 64 }
        guard sizes.count == clusterCIDRs.count else {
            throw ConfigurationError(description: "one node mask size per cluster CIDR is needed")
        }
        for (cidr, size) in zip(clusterCIDRs, sizes) {
            guard cidr == cidr.network else { throw ConfigurationError(description: "cluster CIDR \(cidr) has host bits set") }
            guard size >= cidr.length, size <= cidr.address.bitWidth, size - cidr.length <= 24 else {
                throw ConfigurationError(description: "node mask size /\(size) does not fit cluster CIDR \(cidr) (at most 2^24 node subnets)")
            }
        }
        self.clusterCIDRs = clusterCIDRs
        self.nodeMaskSizes = sizes
    }

    /// How many node subnets each cluster CIDR holds.
    public var capacity: [Int] { zip(clusterCIDRs, nodeMaskSizes).map { 1 << ($1 - $0.length) } }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case full(IPPrefix)
        public var description: String {
            switch self {
            case .full(let cidr): "cluster CIDR \(cidr) has no free node subnet left"
            }
        }
    }

    /// The podCIDRs to set, by node name, for every node that has none yet; nodes that cannot be
    /// served are listed in `failures`. Assignment is in name order, lowest free subnet first.
    public func assign(_ nodes: [Node]) -> (assignments: [String: [String]], failures: [String: Failure]) {
        var used: [Set<UInt128>] = clusterCIDRs.map { _ in [] }
        for node in nodes {
            for text in Self.podCIDRs(of: node) {
                guard let prefix = IPPrefix(text) else { continue }
                for (i, cidr) in clusterCIDRs.enumerated() where prefix.length == nodeMaskSizes[i] && cidr.contains(prefix) {
                    used[i].insert(index(of: prefix, in: i))
                }
            }
        }
        var assignments: [String: [String]] = [:]
        var failures: [String: Failure] = [:]
        var next = clusterCIDRs.map { _ in UInt128(0) }
        for node in nodes.sorted(by: { $0.name < $1.name }) where Self.podCIDRs(of: node).isEmpty {
            var subnets: [String] = []
            for i in clusterCIDRs.indices {
                let count = UInt128(capacity[i])
                while next[i] < count, used[i].contains(next[i]) { next[i] += 1 }
                guard next[i] < count else {
                    failures[node.name] = .full(clusterCIDRs[i])
                    break
                }
                used[i].insert(next[i])
                subnets.append(subnet(next[i], in: i).description)
            }
            if failures[node.name] == nil { assignments[node.name] = subnets }
        }
        return (assignments, failures)
    }

    func index(of prefix: IPPrefix, in i: Int) -> UInt128 {
        let shift = UInt128(prefix.address.bitWidth - nodeMaskSizes[i])
        return (prefix.address.integer - clusterCIDRs[i].address.integer) >> shift
    }

    func subnet(_ index: UInt128, in i: Int) -> IPPrefix {
        let cidr = clusterCIDRs[i]
        let shift = UInt128(cidr.address.bitWidth - nodeMaskSizes[i])
        return IPPrefix(address: IPAddress(family: cidr.family, integer: cidr.address.integer + (index << shift)), length: nodeMaskSizes[i])
    }

    static func podCIDRs(of node: Node) -> [String] {
        if let all = node.spec?.podCIDRs, !all.isEmpty { return all }
        if let one = node.spec?.podCIDR, !one.isEmpty { return [one] }
        return []
    }
}
