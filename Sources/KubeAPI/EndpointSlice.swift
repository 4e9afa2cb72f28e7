/// discovery.k8s.io/v1 EndpointSlice.
public struct EndpointSlice: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    /// `IPv4`, `IPv6` or `FQDN`.
    public var addressType = ""
    public var endpoints: [Endpoint]?
    public var ports: [EndpointPort]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice",
                                              resource: "endpointslices", namespaced: true)
    public static let fields: FieldTable<EndpointSlice> = .object([
        .field("addressType", \.addressType), .field("endpoints", \.endpoints), .field("ports", \.ports),
    ])

    /// The owning Service's name, from the `kubernetes.io/service-name` label.
    public var serviceName: String? { metadata.labels?["kubernetes.io/service-name"] }
}

/// discovery.k8s.io/v1 Endpoint.
public struct Endpoint: FieldCodable {
    public var addresses: [String] = []
    public var conditions: EndpointConditions?
    public var hostname: String?
    public var targetRef: ObjectReference?
    public var deprecatedTopology: [String: String]?
    public var nodeName: String?
    public var zone: String?
    public var hints: EndpointHints?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(addresses: [String], conditions: EndpointConditions? = nil, nodeName: String? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.nodeName = nodeName
    }
    public static let fields: FieldTable<Endpoint> = [
        .field("addresses", \.addresses), .field("conditions", \.conditions), .field("hostname", \.hostname),
        .field("targetRef", \.targetRef), .field("deprecatedTopology", \.deprecatedTopology),
        .field("nodeName", \.nodeName), .field("zone", \.zone), .field("hints", \.hints),
    ]
}

/// discovery.k8s.io/v1 EndpointConditions. Each is optional: nil means "unknown", and consumers
/// treat a nil `ready` as ready (and nil `serving` as the value of `ready`).
public struct EndpointConditions: FieldCodable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(ready: Bool?, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }
    public static let fields: FieldTable<EndpointConditions> = [
        .field("ready", \.ready), .field("serving", \.serving), .field("terminating", \.terminating),
    ]
}

/// discovery.k8s.io/v1 EndpointHints.
public struct EndpointHints: FieldCodable {
    public var forZones: [ForZone]?
    public var forNodes: [ForNode]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<EndpointHints> = [.field("forZones", \.forZones), .field("forNodes", \.forNodes)]

    /// discovery.k8s.io/v1 ForZone.
    public struct ForZone: FieldCodable {
        public var name = ""
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public init(_ name: String) { self.name = name }
        public static let fields: FieldTable<ForZone> = [.field("name", \.name)]
    }

    /// discovery.k8s.io/v1 ForNode.
    public struct ForNode: FieldCodable {
        public var name = ""
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public init(_ name: String) { self.name = name }
        public static let fields: FieldTable<ForNode> = [.field("name", \.name)]
    }
}

/// discovery.k8s.io/v1 EndpointPort.
public struct EndpointPort: FieldCodable {
    public var name: String?
    public var `protocol`: String?
    public var port: Int32?
    public var appProtocol: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String?, protocol proto: String? = "TCP", port: Int32?) {
        self.name = name
        self.protocol = proto
        self.port = port
    }
    public static let fields: FieldTable<EndpointPort> = [
        .field("name", \.name), .field("protocol", \.protocol), .field("port", \.port),
        .field("appProtocol", \.appProtocol),
    ]
}
