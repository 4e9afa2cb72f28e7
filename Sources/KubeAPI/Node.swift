/// core/v1 Node.
public struct Node: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: NodeSpec?
    public var status: NodeStatus?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Node", resource: "nodes",
                                              namespaced: false, shortNames: ["no"], subresources: ["status"])
    public static let fields: FieldTable<Node> = .object([.field("spec", \.spec), .field("status", \.status)])

    /// True when the `Ready` condition is `True`.
    public var isReady: Bool { status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false }
}

/// core/v1 NodeSpec.
public struct NodeSpec: FieldCodable {
    public var podCIDR: String?
    public var podCIDRs: [String]?
    public var providerID: String?
    public var unschedulable: Bool?
    public var taints: [Taint]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeSpec> = [
        .field("podCIDR", \.podCIDR), .field("podCIDRs", \.podCIDRs), .field("providerID", \.providerID),
        .field("unschedulable", \.unschedulable), .field("taints", \.taints),
    ]
}

/// core/v1 NodeStatus.
public struct NodeStatus: FieldCodable {
    public var capacity: [String: Quantity]?
    public var allocatable: [String: Quantity]?
    public var phase: String?
    public var conditions: [NodeCondition]?
    public var addresses: [NodeAddress]?
    public var daemonEndpoints: JSONValue?
    public var nodeInfo: NodeSystemInfo?
    public var images: [JSONValue]?
    public var volumesInUse: [String]?
    public var volumesAttached: [JSONValue]?
    public var config: JSONValue?
    public var runtimeHandlers: [JSONValue]?
    public var features: JSONValue?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeStatus> = [
        .field("capacity", \.capacity), .field("allocatable", \.allocatable), .field("phase", \.phase),
        .field("conditions", \.conditions), .field("addresses", \.addresses),
        .field("daemonEndpoints", \.daemonEndpoints), .field("nodeInfo", \.nodeInfo), .field("images", \.images),
        .field("volumesInUse", \.volumesInUse), .field("volumesAttached", \.volumesAttached),
        .field("config", \.config), .field("runtimeHandlers", \.runtimeHandlers), .field("features", \.features),
    ]

    /// The first address of a type (`InternalIP`, `ExternalIP`, `Hostname`).
    public func address(_ type: String) -> String? { addresses?.first { $0.type == type }?.address }
}

/// core/v1 NodeCondition.
public struct NodeCondition: FieldCodable {
    public var type = ""
    public var status = ""
    public var lastHeartbeatTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(type: String, status: String) {
        self.type = type
        self.status = status
    }
    public static let fields: FieldTable<NodeCondition> = [
        .field("type", \.type), .field("status", \.status), .field("lastHeartbeatTime", \.lastHeartbeatTime),
        .field("lastTransitionTime", \.lastTransitionTime), .field("reason", \.reason), .field("message", \.message),
    ]
}

/// core/v1 NodeAddress.
public struct NodeAddress: FieldCodable {
    /// `InternalIP`, `ExternalIP`, `Hostname`, `InternalDNS`, `ExternalDNS`.
    public var type = ""
    public var address = ""
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(type: String, address: String) {
        self.type = type
        self.address = address
    }
    public static let fields: FieldTable<NodeAddress> = [.field("type", \.type), .field("address", \.address)]
}

/// core/v1 NodeSystemInfo.
public struct NodeSystemInfo: FieldCodable {
    public var machineID = ""
    public var systemUUID = ""
    public var bootID = ""
    public var kernelVersion = ""
    public var osImage = ""
    public var containerRuntimeVersion = ""
    public var kubeletVersion = ""
    public var kubeProxyVersion: String?
    public var operatingSystem = ""
    public var architecture = ""
    public var swap: JSONValue?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<NodeSystemInfo> = [
        .field("machineID", \.machineID), .field("systemUUID", \.systemUUID), .field("bootID", \.bootID),
        .field("kernelVersion", \.kernelVersion), .field("osImage", \.osImage),
        .field("containerRuntimeVersion", \.containerRuntimeVersion), .field("kubeletVersion", \.kubeletVersion),
        .field("kubeProxyVersion", \.kubeProxyVersion), .field("operatingSystem", \.operatingSystem),
        .field("architecture", \.architecture), .field("swap", \.swap),
    ]
}
