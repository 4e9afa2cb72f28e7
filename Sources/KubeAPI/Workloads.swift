// apps/v1 workload controllers: Deployment, ReplicaSet, DaemonSet.

/// apps/v1 Deployment.
public struct Deployment: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var status: Status?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "apps", version: "v1", kind: "Deployment",
                                              resource: "deployments", namespaced: true, shortNames: ["deploy"],
                                              categories: ["all"], subresources: ["status", "scale"])
    public static let fields: FieldTable<Deployment> = .object([.field("spec", \.spec), .field("status", \.status)])

    public struct Spec: FieldCodable {
        public var replicas: Int32?
        public var selector = LabelSelector()
        public var template = PodTemplateSpec()
        public var strategy: Strategy?
        public var minReadySeconds: Int32?
        public var revisionHistoryLimit: Int32?
        public var paused: Bool?
        public var progressDeadlineSeconds: Int32?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [
            .field("replicas", \.replicas), .field("selector", \.selector), .field("template", \.template),
            .field("strategy", \.strategy), .field("minReadySeconds", \.minReadySeconds),
            .field("revisionHistoryLimit", \.revisionHistoryLimit), .field("paused", \.paused),
            .field("progressDeadlineSeconds", \.progressDeadlineSeconds),
        ]
    }

    /// `Recreate` or `RollingUpdate` (with maxUnavailable/maxSurge, default 25%/25%).
    public struct Strategy: FieldCodable {
        public var type: String?
        public var rollingUpdate: RollingUpdate?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Strategy> = [.field("type", \.type), .field("rollingUpdate", \.rollingUpdate)]
    }

    public struct Status: FieldCodable {
        public var observedGeneration: Int64?
        public var replicas: Int32?
        public var updatedReplicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
        public var unavailableReplicas: Int32?
        public var terminatingReplicas: Int32?
        public var conditions: [WorkloadCondition]?
        public var collisionCount: Int32?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Status> = [
            .field("observedGeneration", \.observedGeneration), .field("replicas", \.replicas),
            .field("updatedReplicas", \.updatedReplicas), .field("readyReplicas", \.readyReplicas),
            .field("availableReplicas", \.availableReplicas), .field("unavailableReplicas", \.unavailableReplicas),
            .field("terminatingReplicas", \.terminatingReplicas), .field("conditions", \.conditions),
            .field("collisionCount", \.collisionCount),
        ]
    }
}

/// apps/v1 RollingUpdateDeployment / RollingUpdateDaemonSet: absolute numbers or percentages.
public struct RollingUpdate: FieldCodable {
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<RollingUpdate> = [
        .field("maxUnavailable", \.maxUnavailable), .field("maxSurge", \.maxSurge),
    ]
}

/// apps/v1 DeploymentCondition, ReplicaSetCondition and DaemonSetCondition (one shape;
/// `lastUpdateTime` is Deployment-only).
public struct WorkloadCondition: FieldCodable {
    public var type = ""
    public var status = ""
    public var lastUpdateTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<WorkloadCondition> = [
        .field("type", \.type), .field("status", \.status), .field("lastUpdateTime", \.lastUpdateTime),
        .field("lastTransitionTime", \.lastTransitionTime), .field("reason", \.reason), .field("message", \.message),
    ]
}

/// apps/v1 ReplicaSet.
public struct ReplicaSet: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var status: Status?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "apps", version: "v1", kind: "ReplicaSet",
                                              resource: "replicasets", namespaced: true, shortNames: ["rs"],
                                              categories: ["all"], subresources: ["status", "scale"])
    public static let fields: FieldTable<ReplicaSet> = .object([.field("spec", \.spec), .field("status", \.status)])

    public struct Spec: FieldCodable {
        public var replicas: Int32?
        public var minReadySeconds: Int32?
        public var selector = LabelSelector()
        public var template: PodTemplateSpec?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [
            .field("replicas", \.replicas), .field("minReadySeconds", \.minReadySeconds),
            .field("selector", \.selector), .field("template", \.template),
        ]
    }

    public struct Status: FieldCodable {
        public var replicas: Int32 = 0
        public var fullyLabeledReplicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
        public var terminatingReplicas: Int32?
        public var observedGeneration: Int64?
        public var conditions: [WorkloadCondition]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Status> = [
            .field("replicas", \.replicas), .field("fullyLabeledReplicas", \.fullyLabeledReplicas),
            .field("readyReplicas", \.readyReplicas), .field("availableReplicas", \.availableReplicas),
            .field("terminatingReplicas", \.terminatingReplicas), .field("observedGeneration", \.observedGeneration),
            .field("conditions", \.conditions),
        ]
    }
}

/// apps/v1 DaemonSet.
public struct DaemonSet: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var status: Status?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "apps", version: "v1", kind: "DaemonSet",
                                              resource: "daemonsets", namespaced: true, shortNames: ["ds"],
                                              categories: ["all"], subresources: ["status"])
    public static let fields: FieldTable<DaemonSet> = .object([.field("spec", \.spec), .field("status", \.status)])

    public struct Spec: FieldCodable {
        public var selector = LabelSelector()
        public var template = PodTemplateSpec()
        public var updateStrategy: UpdateStrategy?
        public var minReadySeconds: Int32?
        public var revisionHistoryLimit: Int32?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [
            .field("selector", \.selector), .field("template", \.template), .field("updateStrategy", \.updateStrategy),
            .field("minReadySeconds", \.minReadySeconds), .field("revisionHistoryLimit", \.revisionHistoryLimit),
        ]
    }

    /// `RollingUpdate` (default) or `OnDelete`.
    public struct UpdateStrategy: FieldCodable {
        public var type: String?
        public var rollingUpdate: RollingUpdate?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<UpdateStrategy> = [
            .field("type", \.type), .field("rollingUpdate", \.rollingUpdate),
        ]
    }

    public struct Status: FieldCodable {
        public var currentNumberScheduled: Int32 = 0
        public var numberMisscheduled: Int32 = 0
        public var desiredNumberScheduled: Int32 = 0
        public var numberReady: Int32 = 0
        public var observedGeneration: Int64?
        public var updatedNumberScheduled: Int32?
        public var numberAvailable: Int32?
        public var numberUnavailable: Int32?
        public var collisionCount: Int32?
        public var conditions: [WorkloadCondition]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Status> = [
            .field("currentNumberScheduled", \.currentNumberScheduled),
            .field("numberMisscheduled", \.numberMisscheduled),
            .field("desiredNumberScheduled", \.desiredNumberScheduled), .field("numberReady", \.numberReady),
            .field("observedGeneration", \.observedGeneration),
            .field("updatedNumberScheduled", \.updatedNumberScheduled), .field("numberAvailable", \.numberAvailable),
            .field("numberUnavailable", \.numberUnavailable), .field("collisionCount", \.collisionCount),
            .field("conditions", \.conditions),
        ]
    }
}
