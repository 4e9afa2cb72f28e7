/// core/v1 Container.
public struct Container: FieldCodable {
    public var name = ""
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var envFrom: [JSONValue]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var restartPolicy: String?
    public var volumeMounts: [JSONValue]?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public var lifecycle: JSONValue?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    /// `Always`, `IfNotPresent`, `Never`.
    public var imagePullPolicy: String?
    public var securityContext: JSONValue?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }

    public static let fields: FieldTable<Container> = [
        .field("name", \.name), .field("image", \.image), .field("command", \.command), .field("args", \.args),
        .field("workingDir", \.workingDir), .field("ports", \.ports), .field("envFrom", \.envFrom),
        .field("env", \.env), .field("resources", \.resources), .field("restartPolicy", \.restartPolicy),
        .field("volumeMounts", \.volumeMounts), .field("livenessProbe", \.livenessProbe),
        .field("readinessProbe", \.readinessProbe), .field("startupProbe", \.startupProbe),
        .field("lifecycle", \.lifecycle), .field("terminationMessagePath", \.terminationMessagePath),
        .field("terminationMessagePolicy", \.terminationMessagePolicy), .field("imagePullPolicy", \.imagePullPolicy),
        .field("securityContext", \.securityContext), .field("stdin", \.stdin), .field("stdinOnce", \.stdinOnce),
        .field("tty", \.tty),
    ]
}

/// core/v1 ContainerPort. A named port is what a Service `targetPort: "http"` resolves to.
public struct ContainerPort: FieldCodable {
    public var name: String?
    public var hostPort: Int32?
    public var containerPort: Int32 = 0
    /// `TCP` (default), `UDP`, `SCTP`.
    public var `protocol`: String?
    public var hostIP: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String? = nil, containerPort: Int32, protocol proto: String? = nil, hostPort: Int32? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = proto
        self.hostPort = hostPort
    }

    public static let fields: FieldTable<ContainerPort> = [
        .field("name", \.name), .field("hostPort", \.hostPort), .field("containerPort", \.containerPort),
        .field("protocol", \.protocol), .field("hostIP", \.hostIP),
    ]
}

/// core/v1 EnvVar; `valueFrom` (field/resource/secret refs) is kept opaque.
public struct EnvVar: FieldCodable {
    public var name = ""
    public var value: String?
    public var valueFrom: JSONValue?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
    public static let fields: FieldTable<EnvVar> = [
        .field("name", \.name), .field("value", \.value), .field("valueFrom", \.valueFrom),
    ]
}

/// core/v1 ResourceRequirements: `requests` and `limits` by resource name (`cpu`, `memory`).
public struct ResourceRequirements: FieldCodable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?
    public var claims: [JSONValue]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(requests: [String: Quantity]? = nil, limits: [String: Quantity]? = nil) {
        self.requests = requests
        self.limits = limits
    }
    public static let fields: FieldTable<ResourceRequirements> = [
        .field("limits", \.limits), .field("requests", \.requests), .field("claims", \.claims),
    ]
}

/// core/v1 Probe: one of exec, httpGet, tcpSocket, grpc, plus timing.
public struct Probe: FieldCodable {
    public var exec: ExecAction?
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var grpc: GRPCAction?
    public var initialDelaySeconds: Int32?
    public var timeoutSeconds: Int32?
    public var periodSeconds: Int32?
    public var successThreshold: Int32?
    public var failureThreshold: Int32?
    public var terminationGracePeriodSeconds: Int64?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<Probe> = [
        .field("exec", \.exec), .field("httpGet", \.httpGet), .field("tcpSocket", \.tcpSocket),
        .field("grpc", \.grpc), .field("initialDelaySeconds", \.initialDelaySeconds),
        .field("timeoutSeconds", \.timeoutSeconds), .field("periodSeconds", \.periodSeconds),
        .field("successThreshold", \.successThreshold), .field("failureThreshold", \.failureThreshold),
        .field("terminationGracePeriodSeconds", \.terminationGracePeriodSeconds),
    ]
}

/// core/v1 ExecAction.
public struct ExecAction: FieldCodable {
    public var command: [String]?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<ExecAction> = [.field("command", \.command)]
}

/// core/v1 HTTPGetAction; `port` is a number or a container port name.
public struct HTTPGetAction: FieldCodable {
    public var path: String?
    public var port: IntOrString = .int(0)
    public var host: String?
    /// `HTTP` (default) or `HTTPS`.
    public var scheme: String?
    public var httpHeaders: [HTTPHeader]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<HTTPGetAction> = [
        .field("path", \.path), .field("port", \.port), .field("host", \.host), .field("scheme", \.scheme),
        .field("httpHeaders", \.httpHeaders),
    ]
}

/// core/v1 HTTPHeader.
public struct HTTPHeader: FieldCodable {
    public var name = ""
    public var value = ""
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<HTTPHeader> = [.field("name", \.name), .field("value", \.value)]
}

/// core/v1 TCPSocketAction.
public struct TCPSocketAction: FieldCodable {
    public var port: IntOrString = .int(0)
    public var host: String?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<TCPSocketAction> = [.field("port", \.port), .field("host", \.host)]
}

/// core/v1 GRPCAction.
public struct GRPCAction: FieldCodable {
    public var port: Int32 = 0
    public var service: String?
    public var unknownFields: UnknownFields = [:]
    public init() {}
    public static let fields: FieldTable<GRPCAction> = [.field("port", \.port), .field("service", \.service)]
}
