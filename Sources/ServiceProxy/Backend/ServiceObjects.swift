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
/// - `lbc-<base>` / `lbl-<base>`: pick an endpoint (cluster / local set): affinity first,
///   then `numgen random mod N` through the map `epc-<base>` / `epl-<base>`.
/// - `ep-<base>@<endpoint>`: hairpin masquerade, affinity update, DNAT.
/// - `fw-<base>`: loadBalancerSourceRanges (allowed ranges return, the rest drops).
struct ServiceObjects: Hashable, Sendable {
    var chains: [String: [[Expression]]] = [:]
    /// `numgen` index -> endpoint chain maps.
    var maps: [String: [SetElement]] = [:]
    /// Affinity sets: name -> timeout (ms).
    var affinitySets: [String: UInt64] = [:]
    /// Elements of the shared maps.
    var shared: [SharedKey: Verdict] = [:]

    init() {}

    init(_ p: ServicePortPlan, in t: ProxyTable, hasClusterCIDRs: Bool) {
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

        // Endpoint selection and endpoint chains.
        let timeout = p.affinitySeconds.map { UInt64($0) * 1000 }
        func epChain(_ e: PlanEndpoint) -> String { "ep-\(base)@\(e.hostPort)" }
        func affSet(_ e: PlanEndpoint) -> String { "aff-\(base)@\(e.hostPort)" }
        var endpointsUsed = Set<PlanEndpoint>()
        for (lb, map, eps) in [(lbc, "epc-" + base, p.clusterEndpoints), (lbl, "epl-" + base, p.localEndpoints)]
        where lbChainsNeeded.contains(lb) && !eps.isEmpty {
            var rules: [[Expression]] = []
            if timeout != nil {
                for e in eps { rules.append([.payload(t.saddr), .lookup(set: affSet(e)), .verdict(.goto(epChain(e)))]) }
            }
            if eps.count == 1 {
                rules.append([.verdict(.goto(epChain(eps[0])))])
            } else {
                rules.append([.numgenRandom(modulus: UInt32(eps.count)), .verdictMap(set: map)])
                maps[map] = eps.enumerated().map { SetElement([.mark(UInt32($0.offset))], verdict: .goto(epChain($0.element))) }
            }
            chains[lb] = rules
            endpointsUsed.formUnion(eps)
        }
        let portRegister = Register.r0.advanced(byBytes: t.addressLength)
        for e in endpointsUsed {
            var rules: [[Expression]] = [
                // Hairpin: a pod reaching itself through its Service.
                [.payload(t.saddr), .cmp(.eq, data: e.address.bytes), .verdict(.jump(ProxyTable.markForMasquerade))],
            ]
            if let timeout {
                affinitySets[affSet(e)] = timeout
                rules.append([.payload(t.saddr), .dynsetUpdate(set: affSet(e), timeoutMilliseconds: timeout)])
            }
            rules.append([.immediate(data: e.address.bytes), .immediate(data: [UInt8(e.port >> 8), UInt8(e.port & 0xff)], register: portRegister),
                          .dnat(family: t.family, address: .r0, port: portRegister)])
            chains[epChain(e)] = rules
        }
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
