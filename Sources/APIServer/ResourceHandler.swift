import Foundation
import KubeAPI
import Store

/// The REST verbs over an `ObjectStore`, for every kind alike. Objects are JSON trees
/// (`ObjectDocument`) stored under `RegistryKey`s; an object's resourceVersion is the store
/// revision of its last write.
public struct ResourceHandler: Sendable {
    public let store: any ObjectStore
    /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK event.
    public let bookmarkInterval: Duration
    /// Cluster IPs and node ports of Services.
    public let services: ServiceAllocator
    /// Watch events encoded once for every watcher.
    let eventCache = EventEncodingCache()

    public init(store: any ObjectStore, bookmarkInterval: Duration = .seconds(60), services: ServiceAllocator = ServiceAllocator()) {
        self.store = store
        self.bookmarkInterval = bookmarkInterval
        self.services = services
    }

    /// Namespaces a fresh cluster has; created at start when missing.
    public static let initialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    public func handle(_ target: ResourcePath, _ verb: Verb, _ request: APIRequest) async -> APIResponse {
        do {
            switch target.subresource {
            case "binding"?: return try await bind(target, request)
            case "scale"?: return try await scale(target, verb, request)
            default: break
            }
            switch verb {
            case .get: return try get(target)
            case .list: return try list(target, request)
            case .watch: return try watch(target, request)
            case .create: return try await create(target, request)
            case .update: return try await update(target, request)
            case .patch: return try await patch(target, request)
            case .delete: return try await delete(target, request)
            case .deletecollection: return try await deleteCollection(target, request)
            }
        } catch {
            return .status(.from(error, resource: target.resource, name: target.name ?? ""))
        }
    }

    /// Creates the initial namespaces that do not exist yet.
    public func createInitialNamespaces() async throws {
        let info = Namespace.resource
        for name in Self.initialNamespaces where try store.get(key: key(info, nil, name)) == nil {
            let body: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
            let request = APIRequest(method: "POST", path: info.collectionPath(), body: Array(KubeJSON.encode(body)))
            guard let target = ResourceRegistry.builtin.route(path: info.collectionPath()) else { return }
            let response = await handle(target, .create, request)
            guard response.status == 201 || response.status == 409 else {
                throw Status.internalError("creating namespace \(name): HTTP \(response.status)")
            }
        }
    }

    // MARK: keys

    func key(_ info: ResourceInfo, _ namespace: String?, _ name: String) -> String {
        RegistryKey.object(resource: info.qualifiedResource, namespace: info.namespaced ? namespace : nil, name: name)
    }

    func prefix(_ target: ResourcePath) -> String {
        RegistryKey.prefix(resource: target.resource.qualifiedResource, namespace: target.resource.namespaced ? target.namespace : nil)
    }

    /// The stored object a target names, or 404.
    func current(_ target: ResourcePath) throws -> (ObjectDocument, Revision) {
        let name = target.name ?? ""
        guard let stored = try store.get(key: key(target.resource, target.namespace, name)) else {
            throw Status.notFound(target.resource, name: name)
        }
        return (try ObjectDocument(stored: stored.value, revision: stored.modRevision), stored.modRevision)
    }

    // MARK: reads

    func get(_ target: ResourcePath) throws -> APIResponse {
        .json(200, try current(target).0.responseBytes())
    }

    func list(_ target: ResourcePath, _ request: APIRequest) throws -> APIResponse {
        let filter = try ObjectFilter(query: request.query, resource: target.resource)
        let limit = request.query["limit"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        var after: String?
        if let token = request.query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8),
                  key.hasPrefix(prefix(target)) else { throw Status.badRequest("continue key is not valid") }
            after = key
        }
        let page = try collect(prefix: prefix(target), filter: filter, limit: limit, after: after)
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(page.revision))]
        if let next = page.continueAfter { metadata["continue"] = .string(Data(next.utf8).base64EncodedString()) }
        let list: JSONValue = ["apiVersion": .string(target.resource.apiVersion), "kind": .string(target.resource.listKind),
                               "metadata": .object(metadata), "items": .array(page.items.map(\.json))]
        return .json(200, list)
    }

    /// Matching objects under `prefix`, reading store pages until `limit` match.
    func collect(prefix: String, filter: ObjectFilter, limit: Int?, after: String?)
        throws -> (items: [ObjectDocument], revision: Revision, continueAfter: String?) {
        var items: [ObjectDocument] = []
        var cursor = after
        var revision: Revision?
        while true {
            let page = try store.list(prefix: prefix, limit: limit.map { max($0, 100) }, continueAfter: cursor)
            revision = revision ?? page.revision
            for (index, stored) in page.items.enumerated() {
                let object = try ObjectDocument(stored: stored.value, revision: stored.modRevision)
                guard filter.matches(object) else { continue }
                items.append(object)
                if let limit, items.count == limit {
                    let more = index < page.items.count - 1 || page.continueAfter != nil
                    return (items, revision!, more ? stored.key : nil)
                }
            }
            guard let next = page.continueAfter else { return (items, revision!, nil) }
            cursor = next
        }
    }
}
