/// What one kind is in the REST API: group/version, plural resource name, scope, verbs.
/// The API server's discovery documents and router and the client's URLs are driven by it.
public struct ResourceInfo: Sendable, Hashable, CustomStringConvertible {
    /// API group; "" for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// Plural lower-case resource name used in URLs (`pods`, `endpointslices`).
    public var resource: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var verbs: [String]
    public var listKind: String
    public var categories: [String]
    /// Subresources served for this kind (`status`, `binding`, `eviction`, `log`).
    public var subresources: [String]

    public init(group: String, version: String, kind: String, resource: String, namespaced: Bool,
                shortNames: [String] = [], verbs: [String] = ResourceInfo.allVerbs, categories: [String] = [],
                subresources: [String] = []) {
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.singular = kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.verbs = verbs
        self.listKind = kind + "List"
        self.categories = categories
        self.subresources = subresources
    }

    /// `create, delete, deletecollection, get, list, patch, update, watch`.
    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// `v1` or `apps/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `pods` or `deployments.apps`, as error messages name resources.
    public var qualifiedResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    /// `/api/v1` or `/apis/apps/v1`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection URL path: `/api/v1/namespaces/default/pods`, `/api/v1/nodes`, or, for a
    /// namespaced kind with `namespace == nil`, the all-namespaces list `/api/v1/pods`.
    public func collectionPath(namespace: String? = nil) -> String {
        if namespaced, let namespace { return "\(groupVersionPath)/namespaces/\(namespace)/\(resource)" }
        return "\(groupVersionPath)/\(resource)"
    }

    /// One object's URL path, optionally a subresource: `/api/v1/namespaces/default/pods/web/status`.
    public func itemPath(name: String, namespace: String? = nil, subresource: String? = nil) -> String {
        var path = collectionPath(namespace: namespaced ? (namespace ?? "default") : nil) + "/" + name
        if let subresource { path += "/" + subresource }
        return path
    }

    public var description: String { "\(qualifiedResource) (\(apiVersion), Kind=\(kind))" }
}

/// The kinds Trellis knows, looked up by kind, by resource, by short name, or by URL.
public struct ResourceRegistry: Sendable {
    public private(set) var all: [ResourceInfo]
    private var byKind: [String: ResourceInfo] = [:]
    private var byResource: [String: ResourceInfo] = [:]

    public init(_ resources: [ResourceInfo]) {
        all = []
        for info in resources { register(info) }
    }

    public mutating func register(_ info: ResourceInfo) {
        all.append(info)
        byKind["\(info.apiVersion)|\(info.kind)"] = info
        byResource["\(info.group)|\(info.resource)"] = info
    }

    /// By `apiVersion` and `kind`, as found in a JSON object.
    public func lookup(apiVersion: String, kind: String) -> ResourceInfo? { byKind["\(apiVersion)|\(kind)"] }

    /// By group and plural resource, as found in a URL.
    public func lookup(group: String, resource: String) -> ResourceInfo? { byResource["\(group)|\(resource)"] }

    /// By what a user types after `kubectl get`: plural, singular, short name or kind,
    /// optionally qualified by group (`deployments.apps`).
    public func lookup(name: String) -> ResourceInfo? {
        let lowered = name.lowercased()
        return all.first { info in
            [info.resource, info.singular, info.kind.lowercased(), info.qualifiedResource].contains(lowered)
                || info.shortNames.contains(lowered)
        }
    }

    /// The resources of one group/version, for a discovery document.
    public func resources(group: String, version: String) -> [ResourceInfo] {
        all.filter { $0.group == group && $0.version == version }
    }

    /// Group/versions in registration order (`v1` first, then named groups), for `/apis`.
    public var groupVersions: [(group: String, version: String)] {
        var seen = Set<String>()
        var result: [(String, String)] = []
        for info in all where seen.insert(info.apiVersion).inserted { result.append((info.group, info.version)) }
        return result
    }

    /// Parses a resource URL path (`/api/v1/namespaces/ns/pods/web/status`, `/apis/apps/v1/deployments`).
    public func route(path: String) -> ResourcePath? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let group: String
        if parts.first == "api", parts.count >= 2 {
            group = ""
            parts.removeFirst()
        } else if parts.first == "apis", parts.count >= 3 {
            group = parts[1]
            parts.removeFirst(2)
        } else {
            return nil
        }
        let version = parts.removeFirst()
        var namespace: String?
        if parts.count >= 3, parts[0] == "namespaces" {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        guard let resourceName = parts.first, let info = lookup(group: group, resource: resourceName),
              info.version == version, parts.count <= 3
        else {
            // `/api/v1/namespaces/ns` (and `/status`, `/finalize`) is the Namespace item itself.
            if let namespace, parts.count <= 1, group.isEmpty, let ns = lookup(group: "", resource: "namespaces"),
               ns.version == version, parts.first.map(ns.subresources.contains) ?? true {
                return ResourcePath(resource: ns, namespace: nil, name: namespace, subresource: parts.first)
            }
            return nil
        }
        if namespace != nil && !info.namespaced { return nil }
        return ResourcePath(resource: info, namespace: namespace, name: parts.count > 1 ? parts[1] : nil,
                            subresource: parts.count > 2 ? parts[2] : nil)
    }
}

/// A routed resource URL.
public struct ResourcePath: Sendable, Hashable {
    public var resource: ResourceInfo
    public var namespace: String?
    public var name: String?
    public var subresource: String?
}

extension ResourceRegistry {
    /// Every built-in kind of this module, core group first.
    public static let builtin = ResourceRegistry([
        Pod.resource, Service.resource, Node.resource, Namespace.resource, ServiceAccount.resource,
        Secret.resource, ConfigMap.resource, Event.resource, EndpointSlice.resource, NetworkPolicy.resource,
        Deployment.resource, ReplicaSet.resource, DaemonSet.resource, Lease.resource, Role.resource,
        ClusterRole.resource, RoleBinding.resource, ClusterRoleBinding.resource, PriorityClass.resource,
        ClusterNetworkPolicy.resource,
    ])
}
