import NFTables
import NetAddr

extension PolicyCompiler {
    /// Where a pod's packets go in one direction: `accept` or a jump into a program chain.
    /// Adds the chains it needs to the plan.
    mutating func program(_ pod: PodInfo) {
        var owned = Programmed()
        for d in Direction.allCases {
            let applying = state.policies(selecting: pod, d)
            let tail = tailRules(pod, d, applying)
            let admins = applying.filter { $0.tier == .admin }
            var target: Verdict = .accept
            if !admins.isEmpty || tail != [.make([PlanRule.verdict(.accept)])] {
                let tailName = addChain(tail)
                let admin = admins.flatMap { rules(pod, d, $0, pass: tailName) }
                target = .jump(admin.isEmpty ? tailName : addChain(admin + [.make([PlanRule.verdict(.goto(tailName))])]))
            }
            if let chain = target.chain {
                chainRefs[chain, default: 0] += 1
                owned.targets.append(chain)
            }
            let map = d == .ingress ? Self.ingressMap : Self.egressMap
            for ip in pod.ips where ip.isIPv4 {
                let e = SetElement([.address(ip)], verdict: target)
                insert(e, into: map)
                owned.elements.append((e, map))
            }
        }
        programmed[pod.key] = owned
    }

    mutating func unprogram(_ podKey: String) {
        guard let owned = programmed.removeValue(forKey: podKey) else { return }
        for (e, map) in owned.elements { remove(e, from: map) }
        for c in owned.targets { release(c) }
    }

    /// Adds a chain named after its content (or finds the existing one); returns its name.
    mutating func addChain(_ rules: [PlanRule]) -> String {
        let name = contentHash(rules)
        if plan.chains[name] == nil {
            plan.chains[name] = rules
            changes?.addChain(name)
            chainRefs[name] = 0
            for c in Self.references(rules) { chainRefs[c, default: 0] += 1 }
        }
        return name
    }

    /// Drops `by` references to a chain; removes it (and releases what it refers to) at zero.
    mutating func release(_ chain: String, by n: Int = 1) {
        chainRefs[chain, default: 0] -= n
        guard chainRefs[chain]! <= 0, let rules = plan.chains.removeValue(forKey: chain) else { return }
        chainRefs[chain] = nil
        changes?.removeChain(chain)
        for c in Self.references(rules) { release(c) }
    }

    /// The chains a chain's rules jump or go to, each once.
    static func references(_ rules: [PlanRule]) -> Set<String> {
        var out = Set<String>()
        for r in rules { if case let .verdict(v)? = r.expressions.last, let c = v.chain { out.insert(c) } }
        return out
    }

    /// After the Admin tier: NetworkPolicy (isolated: allow rules then drop) or Baseline.
    func tailRules(_ pod: PodInfo, _ d: Direction, _ applying: [NormalizedPolicy]) -> [PlanRule] {
        let isolating = applying.filter { $0.tier == .networkPolicy }
        if !isolating.isEmpty {
            return isolating.flatMap { rules(pod, d, $0, pass: nil) } + [.make([PlanRule.verdict(.drop)])]
        }
        return applying.filter { $0.tier == .baseline }.flatMap { rules(pod, d, $0, pass: nil) }
            + [.make([PlanRule.verdict(.accept)])]
    }

    /// The nft rules of one policy for one pod and direction.
    func rules(_ pod: PodInfo, _ d: Direction, _ p: NormalizedPolicy, pass: String?) -> [PlanRule] {
        var out: [PlanRule] = []
        for (i, r) in (p.rules(d) ?? []).enumerated() {
            let verdict: Verdict
            switch r.action {
            case .accept: verdict = .accept
            case .deny: verdict = .drop
            case .pass:
                guard let pass else { continue }  // Pass in the Baseline tier: no effect
                verdict = .goto(pass)
            }
            let base = Self.setBase(p.key, d, i)
            let field: AddressField = d == .ingress ? .source : .destination
            var addresses: [(String, [Expression])] = []
            if r.matchesEveryPeer {
                addresses = [("", [])]
            } else {
                if r.hasPodPeers { addresses.append(PlanRule.address(field, in: base + ".pods")) }
                if r.blocks.contains(where: { $0.0.family == .v4 }) {
                    addresses.append(PlanRule.address(field, in: base + ".blocks"))
                }
            }
            var ports: [(String, [Expression])] = []
            if let specs = r.ports {
                var seen = Set<String>()
                for spec in specs {
                    var resolved: [(L4Proto, UInt16, UInt16)] = []
                    switch spec {
                    case let .range(proto, lo, hi): resolved = [(proto, lo, hi)]
                    case let .named(name, proto) where d == .ingress:
                        resolved = pod.resolve(name, proto).map { ($0.0, $0.1, $0.1) }
                    default: break
                    }
                    for (proto, lo, hi) in resolved where seen.insert("\(proto)\(lo)-\(hi)").inserted {
                        ports.append(PlanRule.port(proto, lo, hi))
                    }
                }
            } else {
                ports = [("", [])]
            }
            for a in addresses {
                for pt in ports { out.append(.make([a, pt, PlanRule.verdict(verdict)])) }
            }
            if d == .egress && r.hasNamedPorts {
                out.append(.make([PlanRule.namedPorts(in: base + ".named"), PlanRule.verdict(verdict)]))
            }
        }
        return out
    }
}
