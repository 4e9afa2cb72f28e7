import NFTables
import NetAddr

/// The nftables objects of one Service port: its own chains, endpoint maps and affinity
/// sets, and the elements it wants in the shared verdict maps. Rendering is pure; the
/// backend diffs old and new values to touch only what changed.
///
/// Chains (`<base>` = `ns/name/proto/port`):
/// - `svc-<base>`: ClusterIP traffic: masquerade when the source is outside the cluster
///   CIDRs, then the cluster (or, for iTP Local, local) endpoint chain.
/// - `ext-<base>`: NodePort, externalIP and LB traffic: eTP Cluster masquerades and uses the
///   cluster set; eTP Local short-circuits pods and the node itself to the cluster set and
///   sends the rest to local endpoints, or drops it when there are none.
/// - `lbc-<base>` / `lbl-<base>`: pick an endpoint of the cluster / local set and DNAT:
///   `numgen random mod N offset K` through the shared data map `endpoints`
///   (slot -> address . port; the backend gives each endpoint set its slots).
///   With ClientIP affinity (kube-proxy's layout): remembered clients first (timeout set
///   `aff-<base>@<endpoint>` per endpoint), then `numgen` through a verdict map to the
///   endpoint chains `ep-<base>@<endpoint>` (update the client's set entry, DNAT).
/// - `fw-<base>`: loadBalancerSourceRanges (allowed ranges return, the rest drops).
/// Hairpin traffic is masqueraded in postrouting through the shared `hairpin` set.
struct ServiceObjects: Hashable, Sendable {
    var chains: [String: [[Expression]]] = [:]
    /// Endpoint maps (`numgen` index -> address . port), affinity maps and sets.
    var sets: [String: SetSpec] = [:]
    /// Elements of the shared maps (the verdict is ignored for plain sets).
    var shared: [SharedKey: Verdict] = [:]
    /// Elements of the shared `endpoints-<shard>` maps: slot -> address . port.
    var endpointSlots: [EndpointSlot: [ElementField]] = [:]
    /// The slot ranges used, by endpoint-selection chain: (first slot, count).
    var slotRanges: [String: SlotRange] = [:]

    init() {}

    /// `slot(chain, count)` gives the first of `count` consecutive slots of the `endpoints`
    /// map for the endpoint set chosen in `chain`.
    init(_ p: ServicePortPlan, in t: ProxyTable, hasClusterCIDRs: Bool, slot: (String, Int) -> UInt32) {
        let base = "\(p.name.service)/\(p.name.proto)/\(p.name.port.isEmpty ? String(p.port) : p.name.port)"
        let svc = "svc-" + base, ext = "ext-" + base, lbc = "lbc-" + base, lbl = "lbl-" + base, fw = "fw-" + base
        let proto = p.proto.rawValue
        func key(_ a: IPAddress, _ port: UInt16) -> [ElementField] { [.address(a), .proto(proto), .port(port)] }
        func noEndpoint(_ target: TrafficTarget) -> Verdict {
            target == .reject ? .goto(ProxyTable.rejectChain) : .drop
        }
        var lbChainsNeeded = Set<String>()

        // ClusterIP.
        if case .endpoints = p.internalTarget {
            var rules: [[Expression]] = []
            if hasClusterCIDRs {
                rules.append([.payload(t.saddr), .lookup(set: t.clusterCIDRs.name, invert: true),
                              .verdict(.jump(ProxyTable.markForMasquerade))])
            }
            let lb = p.internalPolicyLocal ? lbl : lbc
            rules.append([.verdict(.goto(lb))])
            lbChainsNeeded.insert(lb)
            chains[svc] = rules
            shared[SharedKey(.serviceIPs, key(p.clusterIP, p.port))] = .goto(svc)
        } else {
            shared[SharedKey(.noEndpointServices, key(p.clusterIP, p.port))] = noEndpoint(p.internalTarget)
        }

        // NodePort, externalIPs, load-balancer IPs.
        let externalAddresses = Array(Set(p.externalIPs + p.loadBalancerIPs)).sorted()
        if p.hasExternal {
            if p.externalTarget == .reject {
                for a in externalAddresses { shared[SharedKey(.noEndpointServices, key(a, p.port))] = noEndpoint(.reject) }
                if let np = p.nodePort { shared[SharedKey(.noEndpointNodePorts, [.proto(proto), .port(np)])] = noEndpoint(.reject) }
            } else {
                var rules: [[Expression]] = []
                if !p.externalPolicyLocal {
                    rules.append([.verdict(.jump(ProxyTable.markForMasquerade))])
                    rules.append([.verdict(.goto(lbc))])
                    lbChainsNeeded.insert(lbc)
                } else {
                    if hasClusterCIDRs {  // pods: short-circuit to the cluster set
                        rules.append([.payload(t.saddr), .lookup(set: t.clusterCIDRs.name), .verdict(.goto(lbc))])
                    }
                    // The node itself: masquerade and use the cluster set.
                    rules.append([.payload(t.saddr), .lookup(set: t.nodeIPs.name), .verdict(.jump(ProxyTable.markForMasquerade))])
                    rules.append([.payload(t.saddr), .lookup(set: t.nodeIPs.name), .verdict(.goto(lbc))])
                    lbChainsNeeded.insert(lbc)
                    if case .endpoints = p.externalTarget {
                        rules.append([.verdict(.goto(lbl))])
                        lbChainsNeeded.insert(lbl)
                    } else {
                        rules.append([.verdict(.drop)])
                    }
                }
                chains[ext] = rules
                for a in externalAddresses { shared[SharedKey(.serviceIPs, key(a, p.port))] = .goto(ext) }
                if let np = p.nodePort { shared[SharedKey(.serviceNodePorts, [.proto(proto), .port(np)])] = .goto(ext) }
            }
            if !p.sourceRanges.isEmpty, !p.loadBalancerIPs.isEmpty {
                chains[fw] = p.sourceRanges.map { Expression.address(.source, in: $0) + [.verdict(.return)] } + [[.verdict(.drop)]]
                for a in p.loadBalancerIPs { shared[SharedKey(.firewallIPs, key(a, p.port))] = .goto(fw) }
            }
        }

        // Endpoint selection: `numgen random mod N` indexes a data map of endpoints and the
        // rule DNATs to the value. No chain per endpoint: the kernel re-validates every chain
        // reachable from a base chain on each transaction that adds a jump, so the table's
        // graph is kept to a few chains per Service port, and replacing an endpoint only
        // rewrites map elements (no validation at all).
        let data = Register.r0.advanced(byBytes: t.addressLength)
        let port = data.advanced(byBytes: t.addressLength)
        let timeout = p.affinitySeconds.map { UInt64($0) * 1000 }
        func epChain(_ e: PlanEndpoint) -> String { "ep-\(base)@\(e.hostPort)" }
        func affSet(_ e: PlanEndpoint) -> String { "aff-\(base)@\(e.hostPort)" }
        var endpointChains = Set<PlanEndpoint>()
        for (lb, suffix, eps) in [(lbc, "c-", p.clusterEndpoints), (lbl, "l-", p.localEndpoints)]
        where lbChainsNeeded.contains(lb) && !eps.isEmpty {
            let map = "ep" + suffix + base
            if timeout != nil {
                // ClientIP affinity, as kube-proxy does it: a chain and a timeout set per
                // endpoint; remembered clients go straight to their endpoint's chain.
                var rules = eps.map { e -> [Expression] in [.payload(t.saddr), .lookup(set: affSet(e)), .verdict(.goto(epChain(e)))] }
                rules.append([.numgenRandom(modulus: UInt32(eps.count)), .verdictMap(set: map)])
                chains[lb] = rules
                sets[map] = SetSpec(t.makeSet(map, [.mark], verdicts: true),
                                    eps.enumerated().map { SetElement([.mark(UInt32($0.offset))], verdict: .goto(epChain($0.element))) })
                endpointChains.formUnion(eps)
            } else {
                let first = slot(lb, eps.count)
                slotRanges[lb] = SlotRange(first: first, count: eps.count)
                let shard = ProxyTable.shard(of: lb)
                chains[lb] = [[.numgenRandom(modulus: UInt32(eps.count), offset: first),
                               .mapLookup(set: t.endpoints(shard: shard).name, dataRegister: data),
                               .dnat(family: t.family, address: data, port: port)]]
                for (i, e) in eps.enumerated() {
                    endpointSlots[EndpointSlot(shard: shard, slot: first + UInt32(i))] = [.address(e.address), .port(e.port)]
                }
            }
            // Hairpin: a pod reaching itself through its Service is masqueraded (postrouting).
            for e in eps { shared[SharedKey(.hairpin, [.address(e.address), .address(e.address)])] = .accept }
        }
        for e in endpointChains {
            let timeout = timeout!
            sets[affSet(e)] = SetSpec(t.makeSet(affSet(e), [t.addressType], flags: [.timeout, .dynamic], timeoutMilliseconds: timeout), [])
            chains[epChain(e)] = [
                [.payload(t.saddr), .dynsetUpdate(set: affSet(e), timeoutMilliseconds: timeout)],
                [.immediate(data: e.address.bytes), .immediate(data: [UInt8(e.port >> 8), UInt8(e.port & 0xff)], register: data),
                 .dnat(family: t.family, address: .r0, port: data)],
            ]
        }
    }
}

/// One element of an `endpoints-<shard>` map.
struct EndpointSlot: Hashable, Sendable, Comparable {
    var shard: Int
    var slot: UInt32
    static func < (l: Self, r: Self) -> Bool { (l.shard, l.slot) < (r.shard, r.slot) }
}

/// Consecutive slots of the `endpoints` maps (unique across shards).
struct SlotRange: Hashable, Sendable {
    var first: UInt32
    var count: Int
}

/// A set or map of a Service port and the elements the backend owns (none for the dynamic
/// affinity maps, which the kernel fills).
struct SetSpec: Hashable, Sendable {
    var set: NFTSet
    var elements: [SetElement]

    init(_ set: NFTSet, _ elements: [SetElement]) {
        self.set = set
        self.elements = elements
    }
}

/// A key in one of the shared verdict maps.
struct SharedKey: Hashable, Sendable {
    var map: SharedMap
    var fields: [ElementField]

    init(_ map: SharedMap, _ fields: [ElementField]) {
        self.map = map
        self.fields = fields
    }
}
