import KubeAPI
import NetAddr

/// What a matching rule does. NetworkPolicy rules only ever accept.
public enum RuleAction: String, Sendable, Hashable {
    case accept = "Accept", deny = "Deny", pass = "Pass"
}

/// Which namespaces a pod peer may live in.
enum NamespaceMatch: Equatable, Sendable {
    /// The policy's own namespace (a NetworkPolicy peer with only `podSelector`).
    case named(String)
    case selector(LabelSelector)
}

/// One peer, normalized from a NetworkPolicyPeer or a ClusterNetworkPolicy peer.
enum Peer: Equatable, Sendable {
    /// Pods (never hostNetwork ones) in matching namespaces; `pods == nil` means every pod there.
    case pods(NamespaceMatch, pods: LabelSelector?)
    /// An address block minus its exceptions.
    case block(IPPrefix, except: [IPPrefix])
    /// Matches every address (an unknown peer type in a Deny rule: fail closed).
    case everything
    /// Matches nothing (an invalid peer, or an unknown peer type in an Accept/Pass rule).
    case nothing
}

/// One port entry, normalized.
enum PortSpec: Hashable, Sendable {
    /// A protocol and an inclusive port range (`0...65535` for "every port").
    case range(L4Proto, UInt16, UInt16)
    /// A named container port, resolved on the destination pod; `nil` protocol takes the
    /// container port's own (ClusterNetworkPolicy `destinationNamedPort`).
    case named(String, L4Proto?)
    /// An invalid entry (unknown protocol, endPort below port): matches nothing.
    case nothing
}

/// One rule of one policy in one direction: peers OR'ed, ports OR'ed, both must match.
struct PolicyRule: Equatable, Sendable {
    var action: RuleAction
    /// nil: every peer (absent or empty `from`/`to`).
    var peers: [Peer]?
    /// nil: every port of every protocol (absent or empty `ports`, CNP without `protocols`).
    var ports: [PortSpec]?
    /// The rule's name for explanations (`ingress[0]` or a CNP rule name).
    var label: String

    var hasPodPeers: Bool {
        peers?.contains { if case .pods = $0 { true } else { false } } ?? false
    }
    var blocks: [(IPPrefix, [IPPrefix])] {
        (peers ?? []).compactMap { if case let .block(c, e) = $0 { (c, e) } else { nil } }
    }
    var matchesEveryPeer: Bool { peers == nil || peers!.contains(.everything) }
    var hasNamedPorts: Bool {
        ports?.contains { if case .named = $0 { true } else { false } } ?? false
    }
}

/// Which tier a policy sits in.
enum PolicyTier: Int, Hashable, Sendable, Comparable {
    case admin = 0, networkPolicy = 1, baseline = 2
    static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}

/// The pods a policy applies to.
enum Subject: Equatable, Sendable {
    /// A NetworkPolicy: pods of one namespace.
    case namespace(String, LabelSelector)
    /// A ClusterNetworkPolicy: pods in matching namespaces, optionally also matching `pods`.
    case cluster(namespaces: LabelSelector, pods: LabelSelector?)
    case nothing
}

/// A NetworkPolicy or ClusterNetworkPolicy normalized for evaluation and compilation.
struct NormalizedPolicy: Equatable, Sendable {
    /// `np/NAMESPACE/NAME` or `cnp/NAME`: unique, stable, used in set names.
    var key: String
    var tier: PolicyTier
    var priority: Int32
    var subject: Subject
    /// nil: the policy does not cover this direction (NetworkPolicy policyTypes).
    var ingress: [PolicyRule]?
    var egress: [PolicyRule]?

    func rules(_ d: Direction) -> [PolicyRule]? { d == .ingress ? ingress : egress }

    /// Admin and Baseline order: priority, then name.
    static func tierOrder(_ a: NormalizedPolicy, _ b: NormalizedPolicy) -> Bool {
        (a.tier, a.priority, a.key) < (b.tier, b.priority, b.key)
    }
}
