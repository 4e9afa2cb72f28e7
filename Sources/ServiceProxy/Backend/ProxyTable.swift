import NFTables
import NetAddr

/// The fixed part of the proxy's nftables table for one family (kube-proxy's nftables layout,
/// reduced): base chains jump into `services` (DNAT through verdict maps keyed by
/// address . protocol . port, so the per-packet cost does not grow with the number of
/// Services), `endpoints-check` (REJECT/DROP for Services without usable endpoints),
/// `firewall-check` (loadBalancerSourceRanges, before DNAT) and `masquerading`.
struct ProxyTable: Sendable {
    let family: IPFamily
    let table: Table

    static let name = "trellis_proxy"

    init(_ family: IPFamily) {
        self.family = family
        table = Table(family == .v4 ? .ip : .ip6, Self.name)
    }

    var addressType: SetKeyType { family == .v4 ? .ipv4Address : .ipv6Address }
    var addressLength: Int { family == .v4 ? 4 : 16 }
    var saddr: PayloadField { family == .v4 ? .ipSource : .ip6Source }
    var daddr: PayloadField { family == .v4 ? .ipDestination : .ip6Destination }

    func chain(_ name: String) -> Chain { Chain(table: table, name: name) }
    func makeSet(_ name: String, _ key: [SetKeyType], flags: SetFlags = [], verdicts: Bool = false,
             timeoutMilliseconds: UInt64? = nil) -> NFTSet {
        NFTSet(table: table, name: name, key: key, flags: flags, isVerdictMap: verdicts, timeoutMilliseconds: timeoutMilliseconds)
    }

    // Shared sets and maps.
    var serviceIPs: NFTSet { makeSet("service-ips", [addressType, .inetProto, .inetService], verdicts: true) }
    var serviceNodePorts: NFTSet { makeSet("service-nodeports", [.inetProto, .inetService], verdicts: true) }
    var noEndpointServices: NFTSet { makeSet("no-endpoint-services", [addressType, .inetProto, .inetService], verdicts: true) }
    var noEndpointNodePorts: NFTSet { makeSet("no-endpoint-nodeports", [.inetProto, .inetService], verdicts: true) }
    var firewallIPs: NFTSet { makeSet("firewall-ips", [addressType, .inetProto, .inetService], verdicts: true) }
    var nodePortIPs: NFTSet { makeSet("nodeport-ips", [addressType]) }
    var nodeIPs: NFTSet { makeSet("node-ips", [addressType]) }
    var clusterCIDRs: NFTSet { makeSet("cluster-cidrs", [addressType], flags: .interval) }
    /// The endpoints of every endpoint set: slot (`numgen` result) -> address . port, in
    /// `endpointShards` maps. Not one map per Service: the kernel finds a set by name with a
    /// linear scan. Not one map for all: it checks each element of a data map against every
    /// rule bound to the map (and each new binding against every element). Either makes a
    /// full sync quadratic; shards keep both factors small.
    func endpoints(shard: Int) -> NFTSet {
        NFTSet(table: table, name: "endpoints-\(shard)", key: [.mark], dataType: [addressType, .inetService])
    }
    static let endpointShards = 64
    static func shard(of chain: String) -> Int { Int(fnv1aHash(chain) % UInt32(endpointShards)) }
    /// `endpoint . endpoint`: a packet from an endpoint to itself (after DNAT) is hairpin.
    var hairpin: NFTSet { makeSet("hairpin", [addressType, addressType]) }

    func sharedMap(_ m: SharedMap) -> NFTSet {
        switch m {
        case .serviceIPs: serviceIPs
        case .serviceNodePorts: serviceNodePorts
        case .noEndpointServices: noEndpointServices
        case .noEndpointNodePorts: noEndpointNodePorts
        case .firewallIPs: firewallIPs
        case .hairpin: hairpin
        }
    }

    static let markForMasquerade = "mark-for-masquerade"
    static let rejectChain = "reject-chain"

    /// `ip daddr . meta l4proto . th dport` into r0…
    var destinationKey: [Expression] {
        let proto = Register.r0.advanced(byBytes: addressLength)
        return [.payload(daddr), .meta(.l4proto, register: proto),
                .payload(.transportDestinationPort, register: proto.advanced(byBytes: 1))]
    }

    /// `meta l4proto . th dport` into r0, r1.
    var protoPortKey: [Expression] {
        [.meta(.l4proto), .payload(.transportDestinationPort, register: 1)]
    }

    /// Mark bytes in host order, as `meta mark` loads them.
    static func markBytes(_ m: UInt32) -> [UInt8] { withUnsafeBytes(of: m) { Array($0) } }

    /// Every fixed chain, set and rule, for a full sync.
    func skeleton(_ plan: ProxyPlan) -> Batch {
        var b = Batch()
        let hooks: [(String, ChainType, ChainHook, Int32, String)] = [
            ("nat-prerouting", .nat, .prerouting, BaseChain.priorityDstNAT, "services"),
            ("nat-output", .nat, .output, BaseChain.priorityDstNAT, "services"),
            ("nat-postrouting", .nat, .postrouting, BaseChain.prioritySrcNAT, "masquerading"),
            ("filter-prerouting", .filter, .prerouting, BaseChain.priorityDstNAT - 10, "firewall-check"),
            ("filter-input", .filter, .input, BaseChain.priorityFilter, "endpoints-check"),
            ("filter-forward", .filter, .forward, BaseChain.priorityFilter, "endpoints-check"),
            ("filter-output", .filter, .output, BaseChain.priorityFilter, "endpoints-check"),
        ]
        let regular = ["services", "endpoints-check", "firewall-check", "masquerading", Self.markForMasquerade, Self.rejectChain]
        for name in regular { b.addChain(chain(name)) }
        for (name, type, hook, prio, _) in hooks {
            b.addChain(Chain(table: table, name: name, base: BaseChain(type: type, hook: hook, priority: prio)))
        }
        for s in [serviceIPs, serviceNodePorts, noEndpointServices, noEndpointNodePorts, firewallIPs, nodePortIPs, nodeIPs, clusterCIDRs, hairpin] {
            b.addSet(s)
        }
        for shard in 0..<Self.endpointShards { b.addSet(endpoints(shard: shard)) }
        b.append(contentsOf: nodeSets(plan))
        // Filter checks look at new connections only: a reply to the node's own connection
        // from a port that happens to be a NodePort must not be rejected.
        b.addRule(chain("nat-postrouting"), [.payload(saddr), .payload(daddr, register: Register.r0.advanced(byBytes: addressLength)),
                                             .lookup(set: hairpin.name), .verdict(.jump(Self.markForMasquerade))])
        for (name, type, _, _, target) in hooks {
            b.addRule(chain(name), (type == .filter ? Expression.ctStateNew : []) + [.verdict(.jump(target))])
        }
        b.addRule(chain("services"), destinationKey + [.verdictMap(set: serviceIPs.name)])
        b.addRule(chain("services"), [.payload(daddr), .lookup(set: nodePortIPs.name)] + protoPortKey
                  + [.verdictMap(set: serviceNodePorts.name)])
        b.addRule(chain("endpoints-check"), destinationKey + [.verdictMap(set: noEndpointServices.name)])
        b.addRule(chain("endpoints-check"), [.payload(daddr), .lookup(set: nodePortIPs.name)] + protoPortKey
                  + [.verdictMap(set: noEndpointNodePorts.name)])
        b.addRule(chain("firewall-check"), destinationKey + [.verdictMap(set: firewallIPs.name)])
        let mark = plan.masqueradeMark
        let zero = Self.markBytes(0)
        // Not marked: nothing to do. Marked: clear the bit (a re-routed packet is not
        // masqueraded twice) and masquerade.
        b.addRule(chain("masquerading"), [.meta(.mark), .bitwise(mask: Self.markBytes(mark), xor: zero),
                                          .cmp(.eq, data: zero), .verdict(.return)])
        b.addRule(chain("masquerading"), [.meta(.mark), .bitwise(mask: Self.markBytes(~mark), xor: zero),
                                          .metaSet(.mark), .masquerade])
        b.addRule(chain(Self.markForMasquerade), [.meta(.mark), .bitwise(mask: Self.markBytes(~mark), xor: Self.markBytes(mark)),
                                                  .metaSet(.mark)])
        // TCP gets a reset: over IPv6 Linux lets a connecting socket ignore the ICMPv6 error
        // for its first SYN (the client would be refused only at the retransmission, 1 s
        // later). Everything else gets ICMP port unreachable.
        b.addRule(chain(Self.rejectChain), Expression.l4proto(TransportProtocol.tcp.rawValue) + [.rejectTCPReset])
        b.addRule(chain(Self.rejectChain), [.rejectPortUnreachable(family)])
        return b
    }

    /// The elements of the node-level sets (flushed and refilled when they change).
    func nodeSets(_ plan: ProxyPlan) -> Batch {
        var b = Batch()
        b.flushSet(nodePortIPs)
        b.flushSet(nodeIPs)
        b.flushSet(clusterCIDRs)
        if !plan.nodePortIPs.isEmpty { b.addElements(nodePortIPs, plan.nodePortIPs.map { SetElement([.address($0)]) }) }
        if !plan.nodeIPs.isEmpty { b.addElements(nodeIPs, plan.nodeIPs.map { SetElement([.address($0)]) }) }
        if !plan.clusterCIDRs.isEmpty { b.addElements(clusterCIDRs, plan.clusterCIDRs.map { SetElement([.prefix($0)]) }) }
        return b
    }
}

/// The shared verdict maps a Service port puts elements in.
enum SharedMap: Int, Hashable, Sendable, CaseIterable {
    case serviceIPs, serviceNodePorts, noEndpointServices, noEndpointNodePorts, firewallIPs, hairpin

    var isVerdictMap: Bool { self != .hairpin }
}

/// FNV-1a, for a stable shard of a name.
func fnv1aHash(_ s: String) -> UInt32 {
    s.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
}
