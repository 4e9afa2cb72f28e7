/// core/v1 Service.
public struct Service: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: ServiceSpec?
    public var status: ServiceStatus?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "", version: "v1", kind: "Service", resource: "services",
                                              namespaced: true, shortNames: ["svc"],
                                              verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                                              categories: ["all"], subresources: ["status"])
    public static let fields: FieldTable<Service> = .object([.field("spec", \.spec), .field("status", \.status)])
}

/// core/v1 ServiceSpec.
public struct ServiceSpec: FieldCodable {
    public var ports: [ServicePort]?
    public var selector: [String: String]?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    public var type: String?
    public var externalIPs: [String]?
    /// `None` or `ClientIP`.
    public var sessionAffinity: String?
    public var loadBalancerIP: String?
    public var loadBalancerSourceRanges: [String]?
    public var externalName: String?
    /// `Cluster` or `Local`.
    public var externalTrafficPolicy: String?
    public var healthCheckNodePort: Int32?
    public var publishNotReadyAddresses: Bool?
    public var sessionAffinityConfig: SessionAffinityConfig?
    /// `IPv4`, `IPv6`.
    public var ipFamilies: [String]?
    /// `SingleStack`, `PreferDualStack`, `RequireDualStack`.
    public var ipFamilyPolicy: String?
    public var allocateLoadBalancerNodePorts: Bool?
    public var loadBalancerClass: String?
    /// `Cluster` or `Local`.
    public var internalTrafficPolicy: String?
    /// `PreferClose`, `PreferSameZone`, `PreferSameNode`.
    public var trafficDistribution: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<ServiceSpec> = [
        .field("ports", \.ports), .field("selector", \.selector), .field("clusterIP", \.clusterIP),
        .field("clusterIPs", \.clusterIPs), .field("type", \.type), .field("externalIPs", \.externalIPs),
        .field("sessionAffinity", \.sessionAffinity), .field("loadBalancerIP", \.loadBalancerIP),
        .field("loadBalancerSourceRanges", \.loadBalancerSourceRanges), .field("externalName", \.externalName),
        .field("externalTrafficPolicy", \.externalTrafficPolicy), .field("healthCheckNodePort", \.healthCheckNodePort),
        .field("publishNotReadyAddresses", \.publishNotReadyAddresses),
        .field("sessionAffinityConfig", \.sessionAffinityConfig), .field("ipFamilies", \.ipFamilies),
        .field("ipFamilyPolicy", \.ipFamilyPolicy),
        .field("allocateLoadBalancerNodePorts", \.allocateLoadBalancerNodePorts),
        .field("loadBalancerClass", \.loadBalancerClass), .field("internalTrafficPolicy", \.internalTrafficPolicy),
        .field("trafficDistribution", \.trafficDistribution),
    ]

    /// `clusterIP` is `None`: DNS returns endpoints, the proxy ignores the Service.
    public var isHeadless: Bool { clusterIP == "None" }
}

/// core/v1 ServicePort.
public struct ServicePort: FieldCodable {
    public var name: String?
    /// `TCP` (default), `UDP`, `SCTP`.
    public var `protocol`: String?
    public var appProtocol: String?
    public var port: Int32 = 0
    /// A number, or the name of a container port.
    public var targetPort: IntOrString?
    public var nodePort: Int32?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String? = nil, protocol proto: String? = "TCP", port: Int32, targetPort: IntOrString? = nil,
                nodePort: Int32? = nil) {
        self.name = name
        self.protocol = proto
        self.port = port
        self.targetPort = targetPort
        self.nodePort = nodePort
    }
    public static let fields: FieldTable<ServicePort> = [
        .field("name", \.name), .field("protocol", \.protocol), .field("appProtocol", \.appProtocol),
        .field("port", \.port), .field("targetPort", \.targetPort), .field("nodePort", \.nodePort),
    ]
}

/// core/v1 SessionAffinityConfig.
public struct SessionAffinityConfig: FieldCodable {
    public var clientIP: ClientIPConfig?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<SessionAffinityConfig> = [.field("clientIP", \.clientIP)]
}

/// core/v1 ClientIPConfig (default timeout 10800 s).
public struct ClientIPConfig: FieldCodable {
    public var timeoutSeconds: Int32?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<ClientIPConfig> = [.field("timeoutSeconds", \.timeoutSeconds)]
}

/// core/v1 ServiceStatus.
public struct ServiceStatus: FieldCodable {
    public var loadBalancer: LoadBalancerStatus?
    public var conditions: [Condition]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<ServiceStatus> = [
        .field("loadBalancer", \.loadBalancer), .field("conditions", \.conditions),
    ]
}

/// core/v1 LoadBalancerStatus.
public struct LoadBalancerStatus: FieldCodable {
    public var ingress: [LoadBalancerIngress]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<LoadBalancerStatus> = [.field("ingress", \.ingress)]
}

/// core/v1 LoadBalancerIngress.
public struct LoadBalancerIngress: FieldCodable {
    public var ip: String?
    public var hostname: String?
    /// `VIP` or `Proxy`.
    public var ipMode: String?
    public var ports: [PortStatus]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<LoadBalancerIngress> = [
        .field("ip", \.ip), .field("hostname", \.hostname), .field("ipMode", \.ipMode), .field("ports", \.ports),
    ]
}

/// core/v1 PortStatus.
public struct PortStatus: FieldCodable {
    public var port: Int32 = 0
    public var `protocol` = ""
    public var error: String?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<PortStatus> = [
        .field("port", \.port), .field("protocol", \.protocol), .field("error", \.error),
    ]
}
