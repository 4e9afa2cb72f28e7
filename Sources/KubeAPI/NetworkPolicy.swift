/// networking.k8s.io/v1 NetworkPolicy.
public struct NetworkPolicy: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: NetworkPolicySpec?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy",
                                              resource: "networkpolicies", namespaced: true, shortNames: ["netpol"])
    public static let fields: FieldTable<NetworkPolicy> = .object([.field("spec", \.spec)])
}

/// networking.k8s.io/v1 NetworkPolicySpec.
public struct NetworkPolicySpec: FieldCodable {
    /// Pods in the policy's namespace it applies to; `{}` selects all of them.
    public var podSelector = LabelSelector()
    public var ingress: [NetworkPolicyIngressRule]?
    public var egress: [NetworkPolicyEgressRule]?
    /// `Ingress`, `Egress`. When absent: Ingress, plus Egress if any egress rule exists.
    public var policyTypes: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NetworkPolicySpec> = [
        .field("podSelector", \.podSelector), .field("ingress", \.ingress), .field("egress", \.egress),
        .field("policyTypes", \.policyTypes),
    ]

    /// The policy types in effect, defaulted as the API server does.
    public var effectivePolicyTypes: [String] {
        if let policyTypes, !policyTypes.isEmpty { return policyTypes }
        return egress?.isEmpty == false ? ["Ingress", "Egress"] : ["Ingress"]
    }
}

/// networking.k8s.io/v1 NetworkPolicyIngressRule. Absent `from` or `ports` means "all".
public struct NetworkPolicyIngressRule: FieldCodable {
    public var ports: [NetworkPolicyPort]?
    public var from: [NetworkPolicyPeer]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<NetworkPolicyIngressRule> = [.field("ports", \.ports), .field("from", \.from)]
}

/// networking.k8s.io/v1 NetworkPolicyEgressRule. Absent `to` or `ports` means "all".
public struct NetworkPolicyEgressRule: FieldCodable {
    public var ports: [NetworkPolicyPort]?
    public var to: [NetworkPolicyPeer]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<NetworkPolicyEgressRule> = [.field("ports", \.ports), .field("to", \.to)]
}

/// networking.k8s.io/v1 NetworkPolicyPeer: pods and/or namespaces by selector, or an ipBlock.
public struct NetworkPolicyPeer: FieldCodable {
    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<NetworkPolicyPeer> = [
        .field("podSelector", \.podSelector), .field("namespaceSelector", \.namespaceSelector),
        .field("ipBlock", \.ipBlock),
    ]
}

/// networking.k8s.io/v1 IPBlock: a CIDR minus exceptions.
public struct IPBlock: FieldCodable {
    public var cidr = ""
    public var except: [String]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public init(cidr: String, except: [String]? = nil) {
        self.cidr = cidr
        self.except = except
    }
    public static let fields: FieldTable<IPBlock> = [.field("cidr", \.cidr), .field("except", \.except)]
}

/// networking.k8s.io/v1 NetworkPolicyPort: protocol, a port number or name, and an optional `endPort`.
public struct NetworkPolicyPort: FieldCodable {
    public var `protocol`: String?
    public var port: IntOrString?
    public var endPort: Int32?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<NetworkPolicyPort> = [
        .field("protocol", \.protocol), .field("port", \.port), .field("endPort", \.endPort),
    ]
}
