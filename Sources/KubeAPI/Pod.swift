import FoundationEssentials

/// core/v1 Pod.
public struct Pod: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: PodSpec?
    public var status: PodStatus?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Pod", resource: "pods", namespaced: true,
                                              shortNames: ["po"], categories: ["all"],
                                              subresources: ["status", "binding", "eviction", "log"])
    public static let fields: FieldTable<Pod> = .object([.field("spec", \.spec), .field("status", \.status)])

    /// Adds `spec.nodeName`, `spec.schedulerName`, `spec.hostNetwork`, `spec.serviceAccountName`,
    /// `status.phase`, `status.podIP` and `status.nominatedNodeName` to the metadata fields.
    public func fieldValue(_ field: String) -> String? {
        switch field {
        case "spec.nodeName": return spec?.nodeName ?? ""
        case "spec.schedulerName": return spec?.schedulerName ?? ""
        case "spec.serviceAccountName": return spec?.serviceAccountName ?? ""
        case "spec.hostNetwork": return String(spec?.hostNetwork ?? false)
        case "status.phase": return status?.phase ?? ""
        case "status.podIP": return status?.podIP ?? ""
        case "status.nominatedNodeName": return status?.nominatedNodeName ?? ""
        default: return metadataFieldValue(field)
        }
    }
}

/// core/v1 PodSpec.
public struct PodSpec: FieldCodable {
    public var volumes: [JSONValue]?
    public var initContainers: [Container]?
    public var containers: [Container] = []
    /// `Always`, `OnFailure`, `Never`.
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    /// `ClusterFirst`, `ClusterFirstWithHostNet`, `Default`, `None`.
    public var dnsPolicy: String?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    public var serviceAccount: String?
    public var automountServiceAccountToken: Bool?
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var shareProcessNamespace: Bool?
    public var securityContext: JSONValue?
    public var imagePullSecrets: [LocalObjectReference]?
    public var hostname: String?
    public var subdomain: String?
    public var affinity: Affinity?
    public var schedulerName: String?
    public var tolerations: [Toleration]?
    public var hostAliases: [JSONValue]?
    public var priorityClassName: String?
    public var priority: Int32?
    public var dnsConfig: PodDNSConfig?
    public var readinessGates: [JSONValue]?
    public var runtimeClassName: String?
    public var enableServiceLinks: Bool?
    public var preemptionPolicy: String?
    public var overhead: [String: Quantity]?
    public var topologySpreadConstraints: [TopologySpreadConstraint]?
    public var setHostnameAsFQDN: Bool?
    public var os: JSONValue?
    public var hostUsers: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(containers: [Container]) { self.containers = containers }

    public static let fields: FieldTable<PodSpec> = [
        .field("volumes", \.volumes), .field("initContainers", \.initContainers), .field("containers", \.containers),
        .field("restartPolicy", \.restartPolicy),
        .field("terminationGracePeriodSeconds", \.terminationGracePeriodSeconds),
        .field("activeDeadlineSeconds", \.activeDeadlineSeconds), .field("dnsPolicy", \.dnsPolicy),
        .field("nodeSelector", \.nodeSelector), .field("serviceAccountName", \.serviceAccountName),
        .field("serviceAccount", \.serviceAccount),
        .field("automountServiceAccountToken", \.automountServiceAccountToken), .field("nodeName", \.nodeName),
        .field("hostNetwork", \.hostNetwork), .field("hostPID", \.hostPID), .field("hostIPC", \.hostIPC),
        .field("shareProcessNamespace", \.shareProcessNamespace), .field("securityContext", \.securityContext),
        .field("imagePullSecrets", \.imagePullSecrets), .field("hostname", \.hostname),
        .field("subdomain", \.subdomain), .field("affinity", \.affinity), .field("schedulerName", \.schedulerName),
        .field("tolerations", \.tolerations), .field("hostAliases", \.hostAliases),
        .field("priorityClassName", \.priorityClassName), .field("priority", \.priority),
        .field("dnsConfig", \.dnsConfig), .field("readinessGates", \.readinessGates),
        .field("runtimeClassName", \.runtimeClassName), .field("enableServiceLinks", \.enableServiceLinks),
        .field("preemptionPolicy", \.preemptionPolicy), .field("overhead", \.overhead),
        .field("topologySpreadConstraints", \.topologySpreadConstraints),
        .field("setHostnameAsFQDN", \.setHostnameAsFQDN), .field("os", \.os), .field("hostUsers", \.hostUsers),
    ]

    /// The sum of container requests, raised to the largest init container request per resource,
    /// plus overhead: what the scheduler fits onto a node.
    public var effectiveRequests: [String: Quantity] {
        var total: [String: Quantity] = [:]
        for c in containers {
            for (name, q) in c.resources?.requests ?? [:] { total[name] = (total[name] ?? Quantity(0)) + q }
        }
        for c in initContainers ?? [] {
            for (name, q) in c.resources?.requests ?? [:] where q > total[name] ?? Quantity(0) { total[name] = q }
        }
        for (name, q) in overhead ?? [:] { total[name] = (total[name] ?? Quantity(0)) + q }
        return total
    }
}

/// core/v1 PodDNSConfig.
public struct PodDNSConfig: FieldCodable {
    public var nameservers: [String]?
    public var searches: [String]?
    public var options: [PodDNSConfigOption]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<PodDNSConfig> = [
        .field("nameservers", \.nameservers), .field("searches", \.searches), .field("options", \.options),
    ]
}

/// core/v1 PodDNSConfigOption (`ndots: "5"`).
public struct PodDNSConfigOption: FieldCodable {
    public var name: String?
    public var value: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<PodDNSConfigOption> = [.field("name", \.name), .field("value", \.value)]
}

/// core/v1 PodStatus.
public struct PodStatus: FieldCodable {
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var nominatedNodeName: String?
    public var hostIP: String?
    public var hostIPs: [HostIP]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: Time?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    public var qosClass: String?
    public var observedGeneration: Int64?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<PodStatus> = [
        .field("observedGeneration", \.observedGeneration), .field("phase", \.phase),
        .field("conditions", \.conditions), .field("message", \.message), .field("reason", \.reason),
        .field("nominatedNodeName", \.nominatedNodeName), .field("hostIP", \.hostIP), .field("hostIPs", \.hostIPs),
        .field("podIP", \.podIP), .field("podIPs", \.podIPs), .field("startTime", \.startTime),
        .field("initContainerStatuses", \.initContainerStatuses), .field("containerStatuses", \.containerStatuses),
        .field("qosClass", \.qosClass),
    ]

    /// True when the `Ready` condition is `True`.
    public var isReady: Bool { conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false }
}

/// core/v1 PodCondition.
public struct PodCondition: FieldCodable {
    public var type = ""
    public var status = ""
    public var observedGeneration: Int64?
    public var lastProbeTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(type: String, status: String) {
        self.type = type
        self.status = status
    }
    public static let fields: FieldTable<PodCondition> = [
        .field("type", \.type), .field("observedGeneration", \.observedGeneration), .field("status", \.status),
        .field("lastProbeTime", \.lastProbeTime), .field("lastTransitionTime", \.lastTransitionTime),
        .field("reason", \.reason), .field("message", \.message),
    ]
}

/// core/v1 PodIP.
public struct PodIP: FieldCodable {
    public var ip = ""
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public init(_ ip: String) { self.ip = ip }
    public static let fields: FieldTable<PodIP> = [.field("ip", \.ip)]
}

/// core/v1 HostIP.
public struct HostIP: FieldCodable {
    public var ip = ""
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public init(_ ip: String) { self.ip = ip }
    public static let fields: FieldTable<HostIP> = [.field("ip", \.ip)]
}

/// core/v1 ContainerStatus.
public struct ContainerStatus: FieldCodable {
    public var name = ""
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var ready = false
    public var restartCount: Int32 = 0
    public var image = ""
    public var imageID = ""
    public var containerID: String?
    public var started: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<ContainerStatus> = [
        .field("name", \.name), .field("state", \.state), .field("lastState", \.lastState), .field("ready", \.ready),
        .field("restartCount", \.restartCount), .field("image", \.image), .field("imageID", \.imageID),
        .field("containerID", \.containerID), .field("started", \.started),
    ]
}

/// core/v1 ContainerState: at most one of waiting, running, terminated.
public struct ContainerState: FieldCodable {
    public var waiting: Waiting?
    public var running: Running?
    public var terminated: Terminated?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<ContainerState> = [
        .field("waiting", \.waiting), .field("running", \.running), .field("terminated", \.terminated),
    ]

    public struct Waiting: FieldCodable {
        public var reason: String?
        public var message: String?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Waiting> = [.field("reason", \.reason), .field("message", \.message)]
    }

    public struct Running: FieldCodable {
        public var startedAt: Time?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Running> = [.field("startedAt", \.startedAt)]
    }

    public struct Terminated: FieldCodable {
        public var exitCode: Int32 = 0
        public var signal: Int32?
        public var reason: String?
        public var message: String?
        public var startedAt: Time?
        public var finishedAt: Time?
        public var containerID: String?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Terminated> = [
            .field("exitCode", \.exitCode), .field("signal", \.signal), .field("reason", \.reason),
            .field("message", \.message), .field("startedAt", \.startedAt), .field("finishedAt", \.finishedAt),
            .field("containerID", \.containerID),
        ]
    }
}

/// core/v1 PodTemplateSpec: the pod a workload controller stamps out.
public struct PodTemplateSpec: FieldCodable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<PodTemplateSpec> = [.field("metadata", \.metadata), .field("spec", \.spec)]
}

/// core/v1 LocalObjectReference.
public struct LocalObjectReference: FieldCodable {
    public var name: String?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<LocalObjectReference> = [.field("name", \.name)]
}

/// core/v1 ObjectReference (EndpointSlice targetRef, Event involvedObject).
public struct ObjectReference: FieldCodable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var apiVersion: String?
    public var resourceVersion: String?
    public var fieldPath: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(kind: String, namespace: String?, name: String, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
    public static let fields: FieldTable<ObjectReference> = [
        .field("kind", \.kind), .field("namespace", \.namespace), .field("name", \.name), .field("uid", \.uid),
        .field("apiVersion", \.apiVersion), .field("resourceVersion", \.resourceVersion),
        .field("fieldPath", \.fieldPath),
    ]
}
