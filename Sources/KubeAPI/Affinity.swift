/// core/v1 Affinity.
public struct Affinity: FieldCodable {
    public var nodeAffinity: NodeAffinity?
    public var podAffinity: PodAffinity?
    public var podAntiAffinity: PodAffinity?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<Affinity> = [
        .field("nodeAffinity", \.nodeAffinity), .field("podAffinity", \.podAffinity),
        .field("podAntiAffinity", \.podAntiAffinity),
    ]
}

/// core/v1 NodeAffinity.
public struct NodeAffinity: FieldCodable {
    public var requiredDuringSchedulingIgnoredDuringExecution: NodeSelector?
    public var preferredDuringSchedulingIgnoredDuringExecution: [PreferredSchedulingTerm]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeAffinity> = [
        .field("requiredDuringSchedulingIgnoredDuringExecution", \.requiredDuringSchedulingIgnoredDuringExecution),
        .field("preferredDuringSchedulingIgnoredDuringExecution", \.preferredDuringSchedulingIgnoredDuringExecution),
    ]
}

/// core/v1 NodeSelector: terms ORed together.
public struct NodeSelector: FieldCodable {
    public var nodeSelectorTerms: [NodeSelectorTerm] = []
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeSelector> = [.field("nodeSelectorTerms", \.nodeSelectorTerms)]

    /// Whether any term matches the node's labels and fields (`metadata.name`).
    public func matches(labels: [String: String], fields: [String: String] = [:]) -> Bool {
        nodeSelectorTerms.contains { $0.matches(labels: labels, fields: fields) }
    }
}

/// core/v1 NodeSelectorTerm: expressions ANDed. An empty term matches nothing.
public struct NodeSelectorTerm: FieldCodable {
    public var matchExpressions: [NodeSelectorRequirement]?
    public var matchFields: [NodeSelectorRequirement]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeSelectorTerm> = [
        .field("matchExpressions", \.matchExpressions), .field("matchFields", \.matchFields),
    ]

    public func matches(labels: [String: String], fields: [String: String] = [:]) -> Bool {
        let expressions = matchExpressions ?? [], fieldExpressions = matchFields ?? []
        if expressions.isEmpty && fieldExpressions.isEmpty { return false }
        for e in expressions { guard let r = e.requirement, r.matches(labels) else { return false } }
        for e in fieldExpressions { guard let r = e.requirement, r.matches(fields) else { return false } }
        return true
    }
}

/// core/v1 NodeSelectorRequirement: `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
public struct NodeSelectorRequirement: FieldCodable {
    public var key = ""
    public var `operator` = ""
    public var values: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(key: String, operator op: String, values: [String]? = nil) {
        self.key = key
        self.operator = op
        self.values = values
    }
    public static let fields: FieldTable<NodeSelectorRequirement> = [
        .field("key", \.key), .field("operator", \.operator), .field("values", \.values),
    ]

    /// The requirement in the shared evaluator; nil (matches nothing) when invalid.
    public var requirement: LabelRequirement? {
        let ops: [String: LabelRequirement.Operator] = [
            "In": .in, "NotIn": .notIn, "Exists": .exists, "DoesNotExist": .doesNotExist,
            "Gt": .greaterThan, "Lt": .lessThan,
        ]
        guard let op = ops[self.operator] else { return nil }
        return try? LabelRequirement.make(key: key, operator: op, values: values ?? [])
    }
}

/// core/v1 PreferredSchedulingTerm.
public struct PreferredSchedulingTerm: FieldCodable {
    public var weight: Int32 = 0
    public var preference = NodeSelectorTerm()
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<PreferredSchedulingTerm> = [
        .field("weight", \.weight), .field("preference", \.preference),
    ]
}

/// core/v1 PodAffinity and PodAntiAffinity (same shape).
public struct PodAffinity: FieldCodable {
    public var requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]?
    public var preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<PodAffinity> = [
        .field("requiredDuringSchedulingIgnoredDuringExecution", \.requiredDuringSchedulingIgnoredDuringExecution),
        .field("preferredDuringSchedulingIgnoredDuringExecution", \.preferredDuringSchedulingIgnoredDuringExecution),
    ]
}

/// core/v1 PodAffinityTerm.
public struct PodAffinityTerm: FieldCodable {
    public var labelSelector: LabelSelector?
    public var namespaces: [String]?
    public var topologyKey = ""
    public var namespaceSelector: LabelSelector?
    public var matchLabelKeys: [String]?
    public var mismatchLabelKeys: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<PodAffinityTerm> = [
        .field("labelSelector", \.labelSelector), .field("namespaces", \.namespaces),
        .field("topologyKey", \.topologyKey), .field("namespaceSelector", \.namespaceSelector),
        .field("matchLabelKeys", \.matchLabelKeys), .field("mismatchLabelKeys", \.mismatchLabelKeys),
    ]
}

/// core/v1 WeightedPodAffinityTerm.
public struct WeightedPodAffinityTerm: FieldCodable {
    public var weight: Int32 = 0
    public var podAffinityTerm = PodAffinityTerm()
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<WeightedPodAffinityTerm> = [
        .field("weight", \.weight), .field("podAffinityTerm", \.podAffinityTerm),
    ]
}

/// core/v1 Taint.
public struct Taint: FieldCodable {
    public var key = ""
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`.
    public var effect = ""
    public var timeAdded: Time?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(key: String, value: String? = nil, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }
    public static let fields: FieldTable<Taint> = [
        .field("key", \.key), .field("value", \.value), .field("effect", \.effect), .field("timeAdded", \.timeAdded),
    ]
}

/// core/v1 Toleration.
public struct Toleration: FieldCodable {
    public var key: String?
    /// `Equal` (default) or `Exists`.
    public var `operator`: String?
    public var value: String?
    /// Empty matches every effect.
    public var effect: String?
    public var tolerationSeconds: Int64?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(key: String?, operator op: String? = nil, value: String? = nil, effect: String? = nil) {
        self.key = key
        self.operator = op
        self.value = value
        self.effect = effect
    }
    public static let fields: FieldTable<Toleration> = [
        .field("key", \.key), .field("operator", \.operator), .field("value", \.value), .field("effect", \.effect),
        .field("tolerationSeconds", \.tolerationSeconds),
    ]

    /// Kubernetes' `ToleratesTaint`: effect matches (or is empty), key matches (or is empty),
    /// and with `Equal` the values are equal.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        let key = self.key ?? ""
        if !key.isEmpty, key != taint.key { return false }
        switch self.operator ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (value ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}

/// core/v1 TopologySpreadConstraint.
public struct TopologySpreadConstraint: FieldCodable {
    public var maxSkew: Int32 = 0
    public var topologyKey = ""
    /// `DoNotSchedule` or `ScheduleAnyway`.
    public var whenUnsatisfiable = ""
    public var labelSelector: LabelSelector?
    public var minDomains: Int32?
    public var nodeAffinityPolicy: String?
    public var nodeTaintsPolicy: String?
    public var matchLabelKeys: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<TopologySpreadConstraint> = [
        .field("maxSkew", \.maxSkew), .field("topologyKey", \.topologyKey),
        .field("whenUnsatisfiable", \.whenUnsatisfiable), .field("labelSelector", \.labelSelector),
        .field("minDomains", \.minDomains), .field("nodeAffinityPolicy", \.nodeAffinityPolicy),
        .field("nodeTaintsPolicy", \.nodeTaintsPolicy), .field("matchLabelKeys", \.matchLabelKeys),
    ]
}
