import NFTables
import NetAddr

extension PolicyCompiler {
    /// `np/x/web` -> `np.x.web`; very long keys are hashed to stay inside nft's name limit.
    static func setBase(_ key: String, _ d: Direction, _ index: Int) -> String {
        var k = String(key.map { $0 == "/" ? "." : $0 })
        if k.utf8.count > 200 { k = contentHash([PlanRule(text: key, expressions: [])]) }
        return "\(k).\(d == .ingress ? "in" : "eg")\(index)"
    }

    /// Creates the sets of every rule of a policy and fills them from all pods.
    mutating func addRuleSets(_ p: NormalizedPolicy) {
        let t = PolicyPlan.table
        for d in Direction.allCases {
            for (i, r) in (p.rules(d) ?? []).enumerated() {
                let base = Self.setBase(p.key, d, i)
                if r.matchesEveryPeer == false {
                    let blocks = r.blocks.filter { $0.0.family == .v4 }
                    if !blocks.isEmpty {
                        let s = NFTSet(table: t, name: base + ".blocks", key: [.ipv4Address], flags: .interval)
                        plan.sets[s.name] = PlanSet(set: s, elements: Set(mergedRanges(blocks).map { SetElement([$0]) }))
                    }
                }
                let pods = r.hasPodPeers && !r.matchesEveryPeer
                let named = d == .egress && r.hasNamedPorts
                guard pods || named else { continue }
                if pods {
                    let s = NFTSet(table: t, name: base + ".pods", key: [.ipv4Address])
                    plan.sets[s.name] = PlanSet(set: s, elements: [])
                }
                if named {
                    let s = NFTSet(table: t, name: base + ".named", key: [.ipv4Address, .inetProto, .inetService])
                    plan.sets[s.name] = PlanSet(set: s, elements: [])
                }
                peerSets.append(RuleRef(base: base, policy: p.key, direction: d, index: i))
                let ref = peerSets.last!
                for pod in candidates(r) { addPeerElements(ref, r, pod) }
            }
        }
    }

    /// Pods that may match a rule's peers (a superset; `peerElements` decides).
    func candidates(_ r: PolicyRule) -> [PodInfo] {
        if r.matchesEveryPeer || !r.blocks.isEmpty { return Array(state.pods.values) }
        var keys = Set<String>()
        for peer in r.peers ?? [] {
            guard case let .pods(nsMatch, _) = peer else { continue }
            switch nsMatch {
            case .named(let ns): keys.formUnion(state.podsByNamespace[ns] ?? [])
            case .selector:
                for (ns, pods) in state.podsByNamespace where state.namespace(ns, matches: nsMatch) {
                    keys.formUnion(pods)
                }
            }
        }
        return keys.compactMap { state.pods[$0] }
    }

    /// The `.pods` and `.named` elements a pod contributes to a rule's sets.
    func peerElements(_ r: PolicyRule, _ d: Direction, _ pod: PodInfo) -> (pods: [SetElement], named: [SetElement]) {
        guard !pod.hostNetwork else { return ([], []) }
        let v4 = pod.ips.filter(\.isIPv4)
        var pods: [SetElement] = [], named: [SetElement] = []
        if r.hasPodPeers && !r.matchesEveryPeer && (r.peers ?? []).contains(where: { state.peer($0, matchesPod: pod) }) {
            pods = v4.map { SetElement([.address($0)]) }
        }
        if d == .egress && r.hasNamedPorts {
            for ip in v4 where PolicyModel.rule(r, matchesPeer: ip, pod: pod, state: state) {
                for case let .named(name, proto) in r.ports ?? [] {
                    for (p, n) in pod.resolve(name, proto) {
                        named.append(SetElement([.address(ip), .proto(p.rawValue), .port(n)]))
                    }
                }
            }
        }
        return (pods, named)
    }

    mutating func addPeerElements(_ ref: RuleRef, _ r: PolicyRule, _ pod: PodInfo) {
        let (pods, named) = peerElements(r, ref.direction, pod)
        for e in pods { insert(e, into: ref.base + ".pods") }
        for e in named { insert(e, into: ref.base + ".named") }
    }

    mutating func removePeerElements(_ ref: RuleRef, _ r: PolicyRule, _ pod: PodInfo) {
        let (pods, named) = peerElements(r, ref.direction, pod)
        for e in pods { remove(e, from: ref.base + ".pods") }
        for e in named { remove(e, from: ref.base + ".named") }
    }

    /// Element changes go through these two, which keep `changes` current.
    mutating func insert(_ e: SetElement, into set: String) {
        if plan.sets[set]!.elements.insert(e).inserted { changes?.insert(e, into: set) }
    }

    mutating func remove(_ e: SetElement, from set: String) {
        if plan.sets[set]!.elements.remove(e) != nil { changes?.remove(e, from: set) }
    }

    /// The incremental path: a pod's peer-set elements and, for a local pod, its program.
    mutating func podChanged(old: PodInfo?, new: PodInfo?) {
        // The old pod's contribution was computed against the state it was added in; policies
        // and namespaces have not changed since (they rebuild), so recomputing it is exact.
        for ref in peerSets {
            let r = state.policies[ref.policy]!.rules(ref.direction)![ref.index]
            if let old { removePeerElements(ref, r, old) }
            if let new { addPeerElements(ref, r, new) }
        }
        if let old { unprogram(old.key) }
        if let new, isLocal(new) { program(new) }
    }
}

/// IPv4 CIDRs minus their exceptions, merged into disjoint inclusive ranges (interval sets
/// reject overlapping elements).
func mergedRanges(_ blocks: [(IPPrefix, [IPPrefix])]) -> [ElementField] {
    var ranges: [(UInt32, UInt32)] = []
    for (cidr, except) in blocks where cidr.family == .v4 {
        var pieces = [(UInt32(cidr.first.integer), UInt32(cidr.last.integer))]
        for e in except where e.family == .v4 {
            let (elo, ehi) = (UInt32(e.first.integer), UInt32(e.last.integer))
            pieces = pieces.flatMap { lo, hi -> [(UInt32, UInt32)] in
                if ehi < lo || elo > hi { return [(lo, hi)] }
                var out: [(UInt32, UInt32)] = []
                if elo > lo { out.append((lo, elo - 1)) }
                if ehi < hi { out.append((ehi + 1, hi)) }
                return out
            }
        }
        ranges += pieces
    }
    ranges.sort { $0.0 < $1.0 }
    var merged: [(UInt32, UInt32)] = []
    for r in ranges {
        if let last = merged.last, last.1 == .max || r.0 <= last.1 + 1 {
            merged[merged.count - 1].1 = max(last.1, r.1)
        } else {
            merged.append(r)
        }
    }
    return merged.map { lo, hi in
        let a = IPAddress.v4(IPv4Address(lo)), b = IPAddress.v4(IPv4Address(hi))
        return lo == hi ? .address(a) : .range(a, b)
    }
}
