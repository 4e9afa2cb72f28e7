import FoundationEssentials

/// `apiVersion` and `kind`: enough to tell what an arbitrary JSON object is before decoding it.
public struct TypeMeta: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public init(apiVersion: String? = nil, kind: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// `metav1.ObjectMeta`: the metadata every persisted object has.
public struct ObjectMeta: FieldCodable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var selfLink: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Time?
    public var deletionTimestamp: Time?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    /// Server-side-apply bookkeeping; kept opaque.
    public var managedFields: [JSONValue]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }

    public static let fields: FieldTable<ObjectMeta> = [
        .field("name", \.name), .field("generateName", \.generateName), .field("namespace", \.namespace),
        .field("selfLink", \.selfLink), .field("uid", \.uid), .field("resourceVersion", \.resourceVersion),
        .field("generation", \.generation), .field("creationTimestamp", \.creationTimestamp),
        .field("deletionTimestamp", \.deletionTimestamp),
        .field("deletionGracePeriodSeconds", \.deletionGracePeriodSeconds), .field("labels", \.labels),
        .field("annotations", \.annotations), .field("ownerReferences", \.ownerReferences),
        .field("finalizers", \.finalizers), .field("managedFields", \.managedFields),
    ]

    /// The owner reference with `controller: true`, if any.
    public var controllerRef: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

/// `metav1.OwnerReference`.
public struct OwnerReference: FieldCodable {
    public var apiVersion = ""
    public var kind = ""
    public var name = ""
    public var uid = ""
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    public static let fields: FieldTable<OwnerReference> = [
        .field("apiVersion", \.apiVersion), .field("kind", \.kind), .field("name", \.name), .field("uid", \.uid),
        .field("controller", \.controller), .field("blockOwnerDeletion", \.blockOwnerDeletion),
    ]
}

/// `metav1.ListMeta`.
public struct ListMeta: FieldCodable {
    public var selfLink: String?
    public var resourceVersion: String?
    /// The `continue` token of a paginated list.
    public var `continue`: String?
    public var remainingItemCount: Int64?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(resourceVersion: String?, continue token: String? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = token
    }

    public static let fields: FieldTable<ListMeta> = [
        .field("selfLink", \.selfLink), .field("resourceVersion", \.resourceVersion),
        .field("continue", \.continue), .field("remainingItemCount", \.remainingItemCount),
    ]
}

/// `metav1.Condition`: the standard condition shape (used by CRDs such as ClusterNetworkPolicy).
public struct Condition: FieldCodable {
    public var type = ""
    public var status = ""
    public var observedGeneration: Int64?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let fields: FieldTable<Condition> = [
        .field("type", \.type), .field("status", \.status), .field("observedGeneration", \.observedGeneration),
        .field("lastTransitionTime", \.lastTransitionTime), .field("reason", \.reason), .field("message", \.message),
    ]
}
