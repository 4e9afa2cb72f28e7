// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

/// rbac/v1 PolicyRule.
public struct PolicyRule: FieldCodable {
    public var verbs: [String] = []
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var nonResourceURLs: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(verbs: [String], apiGroups: [String]? = nil, resources: [String]? = nil,
                resourceNames: [String]? = nil, nonResourceURLs: [String]? = nil) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }
    public static let fields: FieldTable<PolicyRule> = [
        .field("verbs", \.verbs), .field("apiGroups", \.apiGroups), .field("resources", \.resources),
        .field("resourceNames", \.resourceNames), .field("nonResourceURLs", \.nonResourceURLs),
    ]
}

/// rbac/v1 Subject: a `User`, `Group` or `ServiceAccount`.
public struct RBACSubject: FieldCodable {
    public var kind = ""
    public var apiGroup: String?
    public var name = ""
    public var namespace: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(kind: String, name: String, namespace: String? = nil, apiGroup: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.apiGroup = apiGroup
    }
    public static let fields: FieldTable<RBACSubject> = [
        .field("kind", \.kind), .field("apiGroup", \.apiGroup), .field("name", \.name), .field("namespace", \.namespace),
    ]
}

/// rbac/v1 RoleRef.
public struct RoleRef: FieldCodable {
    public var apiGroup = ""
    public var kind = ""
    public var name = ""
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(kind: String, name: String) {
        apiGroup = "rbac.authorization.k8s.io"
        self.kind = kind
        self.name = name
    }
    public static let fields: FieldTable<RoleRef> = [
        .field("apiGroup", \.apiGroup), .field("kind", \.kind), .field("name", \.name),
    ]
}

/// rbac/v1 Role.
public struct Role: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var rules: [PolicyRule]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role",
                                              resource: "roles", namespaced: true)
    public static let fields: FieldTable<Role> = .object([.field("rules", \.rules)])
}

/// rbac/v1 ClusterRole.
public struct ClusterRole: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var rules: [PolicyRule]?
    public var aggregationRule: AggregationRule?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole",
                                              resource: "clusterroles", namespaced: false)
    public static let fields: FieldTable<ClusterRole> = .object([
        .field("rules", \.rules), .field("aggregationRule", \.aggregationRule),
    ])

    public struct AggregationRule: FieldCodable {
        public var clusterRoleSelectors: [LabelSelector]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<AggregationRule> = [.field("clusterRoleSelectors", \.clusterRoleSelectors)]
    }
}

/// rbac/v1 RoleBinding.
public struct RoleBinding: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var subjects: [RBACSubject]?
    public var roleRef = RoleRef()
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding",
                                              resource: "rolebindings", namespaced: true)
    public static let fields: FieldTable<RoleBinding> = .object([
        .field("subjects", \.subjects), .field("roleRef", \.roleRef),
    ])
}

/// rbac/v1 ClusterRoleBinding.
public struct ClusterRoleBinding: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var subjects: [RBACSubject]?
    public var roleRef = RoleRef()
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "rbac.authorization.k8s.io", version: "v1",
                                              kind: "ClusterRoleBinding", resource: "clusterrolebindings",
                                              namespaced: false)
    public static let fields: FieldTable<ClusterRoleBinding> = .object([
        .field("subjects", \.subjects), .field("roleRef", \.roleRef),
    ])
}
