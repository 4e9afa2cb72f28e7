/// policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (sigs.k8s.io/network-policy-api):
/// cluster-scoped policy in the `Admin` tier (before NetworkPolicy) or the `Baseline` tier
/// (after it), ordered by `priority` (0–1000, lower first), with `Accept`/`Deny`/`Pass` rules.
public struct ClusterNetworkPolicy: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec = Spec()
    public var status: PolicyStatus?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "policy.networking.k8s.io", version: "v1alpha2",
                                              kind: "ClusterNetworkPolicy", resource: "clusternetworkpolicies",
                                              namespaced: false, shortNames: ["cnp"], subresources: ["status"])
    public static let fields: FieldTable<ClusterNetworkPolicy> = .object([
        .field("spec", \.spec), .field("status", \.status),
    ])

    public struct Spec: FieldCodable {
        /// `Admin` or `Baseline`.
        public var tier = ""
        public var priority: Int32 = 0
        public var subject = Subject()
        public var ingress: [IngressRule]?
        public var egress: [EgressRule]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [
            .field("tier", \.tier), .field("priority", \.priority), .field("subject", \.subject),
            .field("ingress", \.ingress), .field("egress", \.egress),
        ]
    }

    public struct PolicyStatus: FieldCodable {
        public var conditions: [Condition]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<PolicyStatus> = [.field("conditions", \.conditions)]
    }

    /// Exactly one of `namespaces` or `pods`.
    public struct Subject: FieldCodable {
        public var namespaces: LabelSelector?
        public var pods: NamespacedPod?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Subject> = [.field("namespaces", \.namespaces), .field("pods", \.pods)]
    }

    /// Pods selected by a namespace selector AND a pod selector.
    public struct NamespacedPod: FieldCodable {
        public var namespaceSelector = LabelSelector()
        public var podSelector = LabelSelector()
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<NamespacedPod> = [
            .field("namespaceSelector", \.namespaceSelector), .field("podSelector", \.podSelector),
        ]
    }

    public struct IngressRule: FieldCodable {
        public var name: String?
        /// `Accept`, `Deny` or `Pass`.
        public var action = ""
        public var from: [IngressPeer] = []
        public var protocols: [ProtocolMatch]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<IngressRule> = [
            .field("name", \.name), .field("action", \.action), .field("from", \.from), .field("protocols", \.protocols),
        ]
    }

    public struct EgressRule: FieldCodable {
        public var name: String?
        /// `Accept`, `Deny` or `Pass`.
        public var action = ""
        public var to: [EgressPeer] = []
        public var protocols: [ProtocolMatch]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<EgressRule> = [
            .field("name", \.name), .field("action", \.action), .field("to", \.to), .field("protocols", \.protocols),
        ]
    }

    /// Exactly one field set. A peer with none set (a newer peer type) must fail closed.
    public struct IngressPeer: FieldCodable {
        public var namespaces: LabelSelector?
        public var pods: NamespacedPod?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<IngressPeer> = [.field("namespaces", \.namespaces), .field("pods", \.pods)]
    }

    /// Exactly one field set. A peer with none set (a newer peer type) must fail closed.
    public struct EgressPeer: FieldCodable {
        public var namespaces: LabelSelector?
        public var pods: NamespacedPod?
        public var nodes: LabelSelector?
        /// CIDRs.
        public var networks: [String]?
        /// Exact names or `*.`-prefixed wildcards; Accept rules only.
        public var domainNames: [String]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<EgressPeer> = [
            .field("namespaces", \.namespaces), .field("pods", \.pods), .field("nodes", \.nodes),
            .field("networks", \.networks), .field("domainNames", \.domainNames),
        ]
    }

    /// Exactly one of tcp, udp, sctp, destinationNamedPort.
    public struct ProtocolMatch: FieldCodable {
        public var tcp: PortMatch?
        public var udp: PortMatch?
        public var sctp: PortMatch?
        public var destinationNamedPort: String?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<ProtocolMatch> = [
            .field("tcp", \.tcp), .field("udp", \.udp), .field("sctp", \.sctp),
            .field("destinationNamedPort", \.destinationNamedPort),
        ]
    }

    /// `{destinationPort: {number: 80}}` or `{destinationPort: {range: {start, end}}}`.
    public struct PortMatch: FieldCodable {
        public var destinationPort: Port?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<PortMatch> = [.field("destinationPort", \.destinationPort)]
    }

    public struct Port: FieldCodable {
        public var number: Int32?
        public var range: PortRange?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Port> = [.field("number", \.number), .field("range", \.range)]
    }

    public struct PortRange: FieldCodable {
        public var start: Int32 = 0
        public var end: Int32 = 0
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<PortRange> = [.field("start", \.start), .field("end", \.end)]
    }
}
