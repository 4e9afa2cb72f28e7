import FoundationEssentials

// The small core/v1 kinds, each little more than metadata and a map or two.

/// core/v1 Namespace.
public struct Namespace: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var status: Status?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Namespace", resource: "namespaces",
                                              namespaced: false, shortNames: ["ns"],
                                              verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                                              subresources: ["status", "finalize"])
    public static let fields: FieldTable<Namespace> = .object([.field("spec", \.spec), .field("status", \.status)])

    public func fieldValue(_ field: String) -> String? {
        field == "status.phase" ? status?.phase ?? "" : metadataFieldValue(field)
    }

    public struct Spec: FieldCodable {
        public var finalizers: [String]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [.field("finalizers", \.finalizers)]
    }

    public struct Status: FieldCodable {
        /// `Active` or `Terminating`.
        public var phase: String?
        public var conditions: [JSONValue]?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Status> = [.field("phase", \.phase), .field("conditions", \.conditions)]
    }
}

/// core/v1 ServiceAccount.
public struct ServiceAccount: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var secrets: [ObjectReference]?
    public var imagePullSecrets: [LocalObjectReference]?
    public var automountServiceAccountToken: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "ServiceAccount",
                                              resource: "serviceaccounts", namespaced: true, shortNames: ["sa"],
                                              subresources: ["token"])
    public static let fields: FieldTable<ServiceAccount> = .object([
        .field("secrets", \.secrets), .field("imagePullSecrets", \.imagePullSecrets),
        .field("automountServiceAccountToken", \.automountServiceAccountToken),
    ])
}

/// core/v1 Secret. `data` values are bytes (base64 in JSON).
public struct Secret: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var immutable: Bool?
    public var data: [String: Data]?
    /// Write-only convenience: merged into `data` by the API server.
    public var stringData: [String: String]?
    /// `Opaque`, `kubernetes.io/service-account-token`, `kubernetes.io/tls`, ...
    public var type: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Secret", resource: "secrets",
                                              namespaced: true)
    public static let fields: FieldTable<Secret> = .object([
        .field("immutable", \.immutable), .field("data", \.data), .field("stringData", \.stringData),
        .field("type", \.type),
    ])

    public func fieldValue(_ field: String) -> String? {
        field == "type" ? type ?? "" : metadataFieldValue(field)
    }
}

/// core/v1 ConfigMap.
public struct ConfigMap: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var immutable: Bool?
    public var data: [String: String]?
    public var binaryData: [String: Data]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "ConfigMap", resource: "configmaps",
                                              namespaced: true, shortNames: ["cm"])
    public static let fields: FieldTable<ConfigMap> = .object([
        .field("immutable", \.immutable), .field("data", \.data), .field("binaryData", \.binaryData),
    ])
}

/// core/v1 Event (what `kubectl describe` shows; the events.k8s.io form is not modelled).
public struct Event: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var involvedObject = ObjectReference()
    public var reason: String?
    public var message: String?
    public var source: Source?
    public var firstTimestamp: Time?
    public var lastTimestamp: Time?
    public var count: Int32?
    /// `Normal` or `Warning`.
    public var type: String?
    public var eventTime: MicroTime?
    public var series: Series?
    public var action: String?
    public var related: ObjectReference?
    public var reportingComponent: String?
    public var reportingInstance: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Event", resource: "events",
                                              namespaced: true, shortNames: ["ev"])
    public static let fields: FieldTable<Event> = .object([
        .field("involvedObject", \.involvedObject), .field("reason", \.reason), .field("message", \.message),
        .field("source", \.source), .field("firstTimestamp", \.firstTimestamp),
        .field("lastTimestamp", \.lastTimestamp), .field("count", \.count), .field("type", \.type),
        .field("eventTime", \.eventTime), .field("series", \.series), .field("action", \.action),
        .field("related", \.related), .field("reportingComponent", \.reportingComponent),
        .field("reportingInstance", \.reportingInstance),
    ])

    public func fieldValue(_ field: String) -> String? {
        switch field {
        case "involvedObject.kind": return involvedObject.kind ?? ""
        case "involvedObject.name": return involvedObject.name ?? ""
        case "involvedObject.namespace": return involvedObject.namespace ?? ""
        case "involvedObject.uid": return involvedObject.uid ?? ""
        case "reason": return reason ?? ""
        case "type": return type ?? ""
        default: return metadataFieldValue(field)
        }
    }

    public struct Source: FieldCodable {
        public var component: String?
        public var host: String?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Source> = [.field("component", \.component), .field("host", \.host)]
    }

    public struct Series: FieldCodable {
        public var count: Int32?
        public var lastObservedTime: MicroTime?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Series> = [
            .field("count", \.count), .field("lastObservedTime", \.lastObservedTime),
        ]
    }
}
