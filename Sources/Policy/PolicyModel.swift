import KubeAPI
import NetAddr

/// The reference evaluator (issue 9 §1): decides any flow from the API objects. The compiler
/// produces nftables that must agree with it; the probe matrix compares the two.
///
/// Order per direction, for the pod on that side (the source for egress, the destination for
/// ingress): ClusterNetworkPolicy Admin tier by priority (first matching rule: Accept allows,
/// Deny denies, Pass skips to NetworkPolicy); then NetworkPolicy (if any policy of the pod's
/// namespace selects it for the direction, it is isolated and allowed only by a matching rule
/// of one of them); then the Baseline tier (Accept/Deny); then allow.
///
/// - Traffic from the destination pod's own node is always allowed (ingress).
/// - Replies to allowed connections are allowed (the kernel side: conntrack).
/// - hostNetwork pods are never selected by a policy and are not pods as peers: their address
///   is the node's, so only an ipBlock can match them.
/// - An address that is no pod's has no egress side (it is not ours) and ingress peers only
///   match it through ipBlock.
public struct PolicyModel: Sendable {
    public var state: ClusterState

    public init(_ state: ClusterState = ClusterState()) { self.state = state }

    public init(pods: [Pod], namespaces: [Namespace], networkPolicies: [NetworkPolicy],
                clusterNetworkPolicies: [ClusterNetworkPolicy] = []) {
        var s = ClusterState()
        namespaces.forEach { s.upsert($0) }
        pods.forEach { s.upsert($0) }
        networkPolicies.forEach { s.upsert($0) }
        clusterNetworkPolicies.forEach { s.upsert($0) }
        state = s
    }

    /// The verdict on `flow`.
    public func decide(_ flow: Flow) -> PolicyDecision {
        let src = state.podsByIP[flow.source].flatMap { state.pods[$0] }
        let dst = state.podsByIP[flow.destination].flatMap { state.pods[$0] }
        let egress = src.map { decide(.egress, subject: $0, peerIP: flow.destination, peer: dst, flow) }
            ?? DirectionDecision(allowed: true, reason: "source is not a pod")
        let ingress: DirectionDecision
        if let dst {
            if let host = dst.hostIP, host == flow.source {
                ingress = DirectionDecision(allowed: true, reason: "from the pod's own node")
            } else {
                ingress = decide(.ingress, subject: dst, peerIP: flow.source, peer: src, flow)
            }
        } else {
            ingress = DirectionDecision(allowed: true, reason: "destination is not a pod")
        }
        return PolicyDecision(egress: egress, ingress: ingress)
    }

    func decide(_ d: Direction, subject: PodInfo, peerIP: IPAddress, peer: PodInfo?, _ flow: Flow) -> DirectionDecision {
        let destination = d == .ingress ? subject : peer
        func matches(_ rule: PolicyRule) -> Bool {
            Self.rule(rule, matchesPeer: peerIP, pod: peer, state: state)
                && Self.rule(rule, matchesPort: flow.port, flow.proto, destination: destination)
        }
        let applying = state.policies(selecting: subject, d)
        var passed = false
        for p in applying where p.tier == .admin && !passed {
            for r in p.rules(d)! where matches(r) {
                switch r.action {
                case .accept: return DirectionDecision(allowed: true, reason: "\(r.label): Accept")
                case .deny: return DirectionDecision(allowed: false, reason: "\(r.label): Deny")
                case .pass: passed = true
                }
                break
            }
        }
        let isolating = applying.filter { $0.tier == .networkPolicy }
        if !isolating.isEmpty {
            for p in isolating {
                if let r = p.rules(d)!.first(where: matches) {
                    return DirectionDecision(allowed: true, reason: "\(r.label) allows")
                }
            }
            let names = isolating.map(\.key).joined(separator: ", ")
            return DirectionDecision(allowed: false, reason: "isolated by \(names); no rule allows")
        }
        for p in applying where p.tier == .baseline {
            for r in p.rules(d)! where matches(r) && r.action != .pass {
                return DirectionDecision(allowed: r.action == .accept, reason: "\(r.label): \(r.action.rawValue)")
            }
        }
        return DirectionDecision(allowed: true, reason: "no policy applies")
    }

    /// Peers are OR'ed; a pod peer's namespace and pod selectors are AND'ed.
    static func rule(_ r: PolicyRule, matchesPeer ip: IPAddress, pod: PodInfo?, state: ClusterState) -> Bool {
        guard let peers = r.peers else { return true }
        return peers.contains { peer in
            switch peer {
            case .everything: return true
            case .nothing: return false
            case let .block(cidr, except):
                return cidr.contains(ip) && !except.contains { $0.contains(ip) }
            case .pods: return pod.map { state.peer(peer, matchesPod: $0) } ?? false
            }
        }
    }

    /// Ports are OR'ed; a named port is resolved on the destination pod only.
    static func rule(_ r: PolicyRule, matchesPort port: UInt16, _ proto: L4Proto, destination: PodInfo?) -> Bool {
        guard let ports = r.ports else { return true }
        return ports.contains { spec in
            switch spec {
            case let .range(p, lo, hi): return p == proto && lo <= port && port <= hi
            case let .named(name, p):
                return destination?.resolve(name, p).contains { $0.0 == proto && $0.1 == port } ?? false
            case .nothing: return false
            }
        }
    }
}
