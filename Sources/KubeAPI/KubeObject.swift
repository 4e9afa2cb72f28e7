/// A top-level Kubernetes object: type meta, object meta, and a registry entry.
public protocol KubeObject: FieldCodable {
    /// What this kind is, where it lives in the REST API.
    static var resource: ResourceInfo { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
    /// The value of a field-selector field (`metadata.name`, `spec.nodeName`), nil if unsupported.
    func fieldValue(_ field: String) -> String?
}

extension KubeObject {
    /// A new object with `apiVersion`/`kind` set from the registry.
    public init(metadata: ObjectMeta) {
        self.init()
        apiVersion = Self.resource.apiVersion
        kind = Self.resource.kind
        self.metadata = metadata
    }

    /// Fills in `apiVersion` and `kind` (list items arrive without them).
    public mutating func setTypeMeta() {
        apiVersion = Self.resource.apiVersion
        kind = Self.resource.kind
    }

    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }

    public func fieldValue(_ field: String) -> String? { metadataFieldValue(field) }

    /// `metadata.name` and `metadata.namespace`, which every kind supports.
    public func metadataFieldValue(_ field: String) -> String? {
        switch field {
        case "metadata.name": return metadata.name ?? ""
        case "metadata.namespace": return metadata.namespace ?? ""
        default: return nil
        }
    }
}

/// A list response (`PodList`, `ServiceList`): type meta, list meta and items.
public struct KubeList<Item: KubeObject>: FieldCodable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ListMeta()
    public var items: [Item] = []
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(items: [Item], resourceVersion: String? = nil, continue token: String? = nil) {
        apiVersion = Item.resource.apiVersion
        kind = Item.resource.listKind
        metadata = ListMeta(resourceVersion: resourceVersion, continue: token)
        self.items = items
    }

    public static var fields: FieldTable<KubeList<Item>> {
        [.field("apiVersion", \.apiVersion), .field("kind", \.kind), .field("metadata", \.metadata), .field("items", \.items)]
    }
}

extension FieldTable where Root: KubeObject {
    /// `apiVersion`, `kind`, `metadata`, then the kind's own fields.
    public static func object(_ fields: [CodingField<Root>]) -> FieldTable<Root> {
        FieldTable([.field("apiVersion", \.apiVersion), .field("kind", \.kind), .field("metadata", \.metadata)] + fields)
    }
}

public typealias PodList = KubeList<Pod>
public typealias ServiceList = KubeList<Service>
public typealias NodeList = KubeList<Node>
public typealias NamespaceList = KubeList<Namespace>
public typealias EndpointSliceList = KubeList<EndpointSlice>
public typealias NetworkPolicyList = KubeList<NetworkPolicy>
public typealias ClusterNetworkPolicyList = KubeList<ClusterNetworkPolicy>
public typealias DeploymentList = KubeList<Deployment>
public typealias ReplicaSetList = KubeList<ReplicaSet>
public typealias DaemonSetList = KubeList<DaemonSet>
