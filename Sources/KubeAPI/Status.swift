/// `metav1.Status`: the error object the API server returns (`kind: Status`).
public struct Status: FieldCodable, Error {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// A machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Forbidden`, ...
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int32?
    public var unknownFields: UnknownFields = [:]

    public init() {}

    /// A failure as kube-apiserver writes it.
    public init(code: Int32, reason: String, message: String, details: StatusDetails? = nil) {
        apiVersion = "v1"
        kind = "Status"
        metadata = ListMeta()
        status = "Failure"
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    /// `pods "web" not found`.
    public static func notFound(_ resource: ResourceInfo, name: String) -> Status {
        Status(code: 404, reason: "NotFound", message: "\(resource.qualifiedResource) \"\(name)\" not found",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// `pods "web" already exists`.
    public static func alreadyExists(_ resource: ResourceInfo, name: String) -> Status {
        Status(code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedResource) \"\(name)\" already exists",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// The optimistic-concurrency failure of an update with a stale resourceVersion.
    public static func conflict(_ resource: ResourceInfo, name: String) -> Status {
        Status(code: 409, reason: "Conflict",
               message: "Operation cannot be fulfilled on \(resource.qualifiedResource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// `Pod "Web" is invalid: metadata.name: Invalid value: ...`, one cause per field error.
    public static func invalid(_ resource: ResourceInfo, name: String, causes: [StatusCause]) -> Status {
        let summary = causes.map { "\($0.field ?? ""): \($0.message ?? "")" }.joined(separator: ", ")
        return Status(code: 422, reason: "Invalid",
                      message: "\(resource.kind) \"\(name)\" is invalid: \(causes.count == 1 ? summary : "[\(summary)]")",
                      details: StatusDetails(name: name, group: resource.group, kind: resource.kind, causes: causes))
    }

    public static let fields: FieldTable<Status> = [
        .field("kind", \.kind), .field("apiVersion", \.apiVersion), .field("metadata", \.metadata),
        .field("status", \.status), .field("message", \.message), .field("reason", \.reason),
        .field("details", \.details), .field("code", \.code),
    ]
}

/// `metav1.StatusDetails`.
public struct StatusDetails: FieldCodable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int32?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String?, group: String?, kind: String?, causes: [StatusCause]? = nil) {
        self.name = name
        self.group = group?.isEmpty == true ? nil : group
        self.kind = kind
        self.causes = causes
    }

    public static let fields: FieldTable<StatusDetails> = [
        .field("name", \.name), .field("group", \.group), .field("kind", \.kind), .field("uid", \.uid),
        .field("causes", \.causes), .field("retryAfterSeconds", \.retryAfterSeconds),
    ]
}

/// `metav1.StatusCause`: one field error of an `Invalid` status.
public struct StatusCause: FieldCodable {
    /// `FieldValueInvalid`, `FieldValueRequired`, ...
    public var reason: String?
    public var message: String?
    public var field: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(reason: String, message: String, field: String) {
        self.reason = reason
        self.message = message
        self.field = field
    }

    public static let fields: FieldTable<StatusCause> = [
        .field("reason", \.reason), .field("message", \.message), .field("field", \.field),
    ]
}
