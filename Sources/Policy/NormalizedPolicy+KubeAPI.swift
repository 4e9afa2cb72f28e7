import KubeAPI
import NetAddr

extension NormalizedPolicy {
    /// A networking.k8s.io/v1 NetworkPolicy (issue 9 §1).
    init(_ np: NetworkPolicy) {
        let ns = np.metadata.namespace ?? "default"
        let name = np.metadata.name ?? ""
        let spec = np.spec ?? NetworkPolicySpec()
        key = "np/\(ns)/\(name)"
        tier = .networkPolicy
        priority = 0
        subject = .namespace(ns, spec.podSelector)
        // policyTypes defaulting: Ingress always, Egress when egress rules exist; a type that is
        // listed isolates even with no rules (`ingress: []` or absent = deny all).
        let types = spec.effectivePolicyTypes
        ingress = types.contains("Ingress")
            ? (spec.ingress ?? []).enumerated().map { i, r in
                PolicyRule(action: .accept, peers: Self.peers(r.from, namespace: ns), ports: Self.ports(r.ports),
                           label: "\(key) ingress[\(i)]")
            } : nil
        egress = types.contains("Egress")
            ? (spec.egress ?? []).enumerated().map { i, r in
                PolicyRule(action: .accept, peers: Self.peers(r.to, namespace: ns), ports: Self.ports(r.ports),
                           label: "\(key) egress[\(i)]")
            } : nil
    }

    /// Absent or empty `from`/`to` matches every peer.
    static func peers(_ list: [NetworkPolicyPeer]?, namespace: String) -> [Peer]? {
        guard let list, !list.isEmpty else { return nil }
        return list.map { p in
            if let block = p.ipBlock {
                // ipBlock excludes the selectors (API validation); an unparsable CIDR matches nothing.
                guard let cidr = IPPrefix(block.cidr) else { return .nothing }
                return .block(cidr.network, except: (block.except ?? []).compactMap { IPPrefix($0)?.network })
            }
            switch (p.namespaceSelector, p.podSelector) {
            case (nil, nil): return .nothing
            case (nil, let pods?): return .pods(.named(namespace), pods: pods)
            case (let nsSel?, let pods): return .pods(.selector(nsSel), pods: pods)
            }
        }
    }

    /// Absent or empty `ports` matches every port; `{}` is every TCP port.
    static func ports(_ list: [NetworkPolicyPort]?) -> [PortSpec]? {
        guard let list, !list.isEmpty else { return nil }
        return list.map { p in
            guard let proto = L4Proto(apiName: p.protocol ?? "TCP") else { return .nothing }
            switch p.port {
            case nil: return .range(proto, 0, 65535)
            case .string(let name)?:
                // A numeric string is a port number (intstr), anything else a container port name.
                if let n = UInt16(name) { return .range(proto, n, p.endPort.flatMap { UInt16(exactly: $0) } ?? n) }
                return .named(name, proto)
            case .int(let n)?:
                guard let lo = UInt16(exactly: n) else { return .nothing }
                guard let end = p.endPort else { return .range(proto, lo, lo) }
                guard let hi = UInt16(exactly: end), hi >= lo else { return .nothing }
                return .range(proto, lo, hi)
            }
        }
    }

    /// A policy.networking.k8s.io ClusterNetworkPolicy in the Admin or Baseline tier.
    init(_ cnp: ClusterNetworkPolicy) {
        let name = cnp.metadata.name ?? ""
        key = "cnp/\(name)"
        tier = cnp.spec.tier == "Baseline" ? .baseline : .admin
        priority = cnp.spec.priority
        let s = cnp.spec.subject
        if let pods = s.pods {
            subject = .cluster(namespaces: pods.namespaceSelector, pods: pods.podSelector)
        } else if let nsSel = s.namespaces {
            subject = .cluster(namespaces: nsSel, pods: nil)
        } else {
            subject = .nothing
        }
        ingress = (cnp.spec.ingress ?? []).enumerated().map { i, r in
            let action = RuleAction(rawValue: r.action) ?? .deny
            return PolicyRule(action: action,
                              peers: r.from.map { Self.peer(namespaces: $0.namespaces, pods: $0.pods, known: true, action) },
                              ports: Self.protocols(r.protocols), label: "\(key) ingress \(r.name ?? "[\(i)]")")
        }
        egress = (cnp.spec.egress ?? []).enumerated().map { i, r in
            let action = RuleAction(rawValue: r.action) ?? .deny
            let peers: [Peer] = r.to.map { p in
                if let nets = p.networks {
                    let blocks = nets.compactMap { IPPrefix($0)?.network }
                    return blocks.count == 1 ? .block(blocks[0], except: []) : Self.unknown(action)
                }
                // nodes and domainNames are not implemented: fail closed.
                let known = p.nodes == nil && p.domainNames == nil
                return Self.peer(namespaces: p.namespaces, pods: p.pods, known: known, action)
            }
            // Several networks in one peer are expanded into one peer each.
            var expanded: [Peer] = []
            for (p, raw) in zip(peers, r.to) {
                if let nets = raw.networks, nets.count > 1 {
                    expanded += nets.map { IPPrefix($0).map { .block($0.network, except: []) } ?? .nothing }
                } else {
                    expanded.append(p)
                }
            }
            return PolicyRule(action: action, peers: expanded, ports: Self.protocols(r.protocols),
                              label: "\(key) egress \(r.name ?? "[\(i)]")")
        }
    }

    /// A peer type this code does not know (or does not implement): a Deny rule treats it as
    /// matching everything, Accept and Pass as matching nothing. Both fail closed.
    static func unknown(_ action: RuleAction) -> Peer { action == .deny ? .everything : .nothing }

    static func peer(namespaces: LabelSelector?, pods: ClusterNetworkPolicy.NamespacedPod?, known: Bool,
                     _ action: RuleAction) -> Peer {
        guard known else { return unknown(action) }
        if let pods { return .pods(.selector(pods.namespaceSelector), pods: pods.podSelector) }
        if let namespaces { return .pods(.selector(namespaces), pods: nil) }
        return unknown(action)
    }

    static func protocols(_ list: [ClusterNetworkPolicy.ProtocolMatch]?) -> [PortSpec]? {
        guard let list, !list.isEmpty else { return nil }
        return list.map { m in
            if let name = m.destinationNamedPort { return .named(name, nil) }
            let (proto, match): (L4Proto, ClusterNetworkPolicy.PortMatch)
            if let t = m.tcp { (proto, match) = (.tcp, t) }
            else if let u = m.udp { (proto, match) = (.udp, u) }
            else if let s = m.sctp { (proto, match) = (.sctp, s) }
            else { return .nothing }
            guard let port = match.destinationPort else { return .range(proto, 0, 65535) }
            if let n = port.number { return UInt16(exactly: n).map { .range(proto, $0, $0) } ?? .nothing }
            if let r = port.range, let lo = UInt16(exactly: r.start), let hi = UInt16(exactly: r.end), lo <= hi {
                return .range(proto, lo, hi)
            }
            return .nothing
        }
    }
}
