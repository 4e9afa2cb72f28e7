import KubeAPI

/// The verbs of the Kubernetes REST API, as RBAC names them.
public enum Verb: String, Sendable, Hashable {
    case get, list, watch, create, update, patch, delete, deletecollection
}

/// What a request asks for, decided from method, path and query alone.
public enum Route: Sendable, Equatable {
    case version
    /// `/healthz`, `/livez`, `/readyz`
    case health
    /// `/api`
    case coreVersions
    /// `/apis`
    case groupList
    /// `/apis/<group>`
    case group(String)
    /// `/api/v1`, `/apis/<group>/<version>`
    case resourceList(group: String, version: String)
    /// A resource URL and the verb the method maps to.
    case resource(ResourcePath, Verb)
    /// A request that fails before any handler runs (unknown path, wrong method).
    case failure(Status)

    /// What kube-apiserver's `system:public-info-viewer` opens to everyone: version and health.
    public var isPublicInfo: Bool {
        switch self {
        case .version, .health: true
        default: false
        }
    }

    public static func == (a: Route, b: Route) -> Bool {
        switch (a, b) {
        case (.version, .version), (.health, .health), (.coreVersions, .coreVersions), (.groupList, .groupList): true
        case (.group(let x), .group(let y)): x == y
        case (.resourceList(let g1, let v1), .resourceList(let g2, let v2)): g1 == g2 && v1 == v2
        case (.resource(let p1, let v1), .resource(let p2, let v2)): p1 == p2 && v1 == v2
        case (.failure(let s1), .failure(let s2)): s1.code == s2.code && s1.reason == s2.reason
        default: false
        }
    }
}

/// Maps requests to routes over a `ResourceRegistry`. Pure: no store, no sockets.
public struct Router: Sendable {
    public let registry: ResourceRegistry
    /// Subresources this server implements; others that the registry lists answer 405.
    static let servedSubresources: Set<String> = ["status", "binding", "scale"]

    public init(registry: ResourceRegistry = .builtin) { self.registry = registry }

    public func route(method: String, path: String, query: [String: String] = [:]) -> Route {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let parts = trimmed.split(separator: "/").map(String.init)
        switch parts.count {
        case 1 where parts[0] == "version": return onlyGet(method, trimmed, .version)
        case 1 where ["healthz", "livez", "readyz"].contains(parts[0]): return onlyGet(method, trimmed, .health)
        case 1 where parts[0] == "api": return onlyGet(method, trimmed, .coreVersions)
        case 1 where parts[0] == "apis": return onlyGet(method, trimmed, .groupList)
        case 2 where parts[0] == "api":
            return registry.groupVersions.contains { $0.group.isEmpty && $0.version == parts[1] }
                ? onlyGet(method, trimmed, .resourceList(group: "", version: parts[1])) : .failure(.pathNotFound(trimmed))
        case 2 where parts[0] == "apis":
            return registry.groupVersions.contains { $0.group == parts[1] }
                ? onlyGet(method, trimmed, .group(parts[1])) : .failure(.pathNotFound(trimmed))
        case 3 where parts[0] == "apis":
            return registry.groupVersions.contains { $0.group == parts[1] && $0.version == parts[2] }
                ? onlyGet(method, trimmed, .resourceList(group: parts[1], version: parts[2])) : .failure(.pathNotFound(trimmed))
        default: break
        }
        guard let target = registry.route(path: trimmed) else { return .failure(.pathNotFound(trimmed)) }
        guard let verb = verb(method: method, target: target, watch: isWatch(query)) else {
            return .failure(.methodNotAllowed(method, path: trimmed))
        }
        if let sub = target.subresource {
            guard target.resource.subresources.contains(sub) else { return .failure(.pathNotFound(trimmed)) }
            guard Self.servedSubresources.contains(sub) else {
                return .failure(Status(code: 405, reason: "MethodNotAllowed",
                                       message: "the \(sub) subresource of \(target.resource.qualifiedResource) is not served yet"))
            }
        }
        return .resource(target, verb)
    }

    private func isWatch(_ query: [String: String]) -> Bool {
        guard let value = query["watch"]?.lowercased() else { return false }
        return value == "1" || value == "true"
    }

    private func onlyGet(_ method: String, _ path: String, _ route: Route) -> Route {
        method == "GET" || method == "HEAD" ? route : .failure(.methodNotAllowed(method, path: path))
    }

    private func verb(method: String, target: ResourcePath, watch: Bool) -> Verb? {
        if let sub = target.subresource {
            // `pods/binding` (and, in Kubernetes, `pods/eviction`) are POST-only.
            if sub == "binding" { return method == "POST" ? .create : nil }
            switch method {
            case "GET": return .get
            case "PUT": return .update
            case "PATCH": return .patch
            default: return nil
            }
        }
        if target.name == nil {
            // A namespaced kind's all-namespaces URL (`/api/v1/pods`) is read-only.
            let allNamespaces = target.resource.namespaced && target.namespace == nil
            switch method {
            case "GET": return watch ? .watch : .list
            case "POST": return allNamespaces ? nil : .create
            case "DELETE": return allNamespaces ? nil : .deletecollection
            default: return nil
            }
        }
        switch method {
        case "GET": return watch ? .watch : .get
        case "PUT": return .update
        case "PATCH": return .patch
        case "DELETE": return .delete
        default: return nil
        }
    }
}
