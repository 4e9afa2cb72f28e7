import Foundation
import KubeAPI

/// How a `patch` body is to be applied.
public enum PatchType: String, Sendable {
    /// RFC 7386 JSON merge patch.
    case merge = "application/merge-patch+json"
    /// RFC 6902 JSON patch (a list of operations).
    case json = "application/json-patch+json"
    /// Kubernetes strategic merge patch (built-in kinds only).
    case strategicMerge = "application/strategic-merge-patch+json"
}

/// What to list or watch: selectors and paging.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    /// "" (most recent), "0" (any cached), or an exact version.
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continueToken: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { q.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { q.append(("fieldSelector", fieldSelector)) }
        if let limit { q.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { q.append(("continue", continueToken)) }
        if let resourceVersion { q.append(("resourceVersion", resourceVersion)) }
        return q
    }
}

extension KubeClient {
    /// GET one object. For a namespaced kind, `namespace` defaults to the config's.
    public func get<T: KubeObject>(_ type: T.Type, name: String, namespace: String? = nil) async throws -> T {
        let path = T.resource.itemPath(name: name, namespace: self.namespace(T.self, namespace))
        var object = try decode(T.self, try await send("GET", path))
        object.setTypeMeta()
        return object
    }

    /// LIST objects; `namespace: nil` lists a namespaced kind across all namespaces. Items come
    /// with `apiVersion`/`kind` filled in. Follows `continue` tokens when `options.limit` is set.
    public func list<T: KubeObject>(_ type: T.Type, namespace: String? = nil,
                                    options: ListOptions = ListOptions()) async throws -> KubeList<T> {
        let path = T.resource.collectionPath(namespace: T.resource.namespaced ? namespace : nil)
        var options = options
        counters.withLock { $0.lists += 1 }
        var result = try decode(KubeList<T>.self, try await send("GET", path, query: options.query))
        while options.limit != nil, let next = result.metadata.continue, !next.isEmpty {
            options.continueToken = next
            counters.withLock { $0.lists += 1 }
            let page = try decode(KubeList<T>.self, try await send("GET", path, query: options.query))
            result.items += page.items
            result.metadata = page.metadata
        }
        for i in result.items.indices { result.items[i].setTypeMeta() }
        return result
    }

    /// LIST with label and field selectors.
    public func list<T: KubeObject>(_ type: T.Type, namespace: String? = nil, labelSelector: String? = nil,
                                    fieldSelector: String? = nil) async throws -> KubeList<T> {
        try await list(T.self, namespace: namespace, options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector))
    }

    /// POST a new object into its namespace (the object's, else `namespace`, else the config's).
    public func create<T: KubeObject>(_ object: T, namespace: String? = nil) async throws -> T {
        let ns = self.namespace(T.self, object.metadata.namespace ?? namespace)
        let path = T.resource.collectionPath(namespace: ns)
        return try typed(T.self, try await send("POST", path, body: encode(object)))
    }

    /// PUT the whole object. Its `metadata.resourceVersion`, when set, makes the update
    /// conditional: a stale one fails with 409 Conflict (`KubeClientError.isConflict`).
    public func update<T: KubeObject>(_ object: T) async throws -> T {
        let path = T.resource.itemPath(name: object.name, namespace: self.namespace(T.self, object.metadata.namespace))
        return try typed(T.self, try await send("PUT", path, body: encode(object)))
    }

    /// PUT the `status` subresource: only the status of the object changes.
    public func updateStatus<T: KubeObject>(_ object: T) async throws -> T {
        let path = T.resource.itemPath(name: object.name, namespace: self.namespace(T.self, object.metadata.namespace),
                                       subresource: "status")
        return try typed(T.self, try await send("PUT", path, body: encode(object)))
    }

    /// PATCH one object (or its `subresource`, such as `status`).
    public func patch<T: KubeObject>(_ type: T.Type, name: String, namespace: String? = nil, patch: JSONValue,
                                     type patchType: PatchType = .merge, subresource: String? = nil) async throws -> T {
        let path = T.resource.itemPath(name: name, namespace: self.namespace(T.self, namespace), subresource: subresource)
        let body = [UInt8](KubeJSON.encode(patch))
        return try typed(T.self, try await send("PATCH", path, body: body, contentType: patchType.rawValue))
    }

    /// DELETE one object. With `resourceVersion`, only that version is deleted (409 otherwise).
    /// `gracePeriodSeconds` overrides a pod's grace period (0 deletes at once, as
    /// `kubectl delete --force --grace-period=0`); a pod bound to a node is otherwise only marked
    /// with a `deletionTimestamp` (a MODIFIED event) until its kubelet confirms.
    public func delete<T: KubeObject>(_ type: T.Type, name: String, namespace: String? = nil,
                                      resourceVersion: String? = nil, gracePeriodSeconds: Int64? = nil) async throws {
        let path = T.resource.itemPath(name: name, namespace: self.namespace(T.self, namespace))
        var body: [UInt8]?
        if resourceVersion != nil || gracePeriodSeconds != nil {
            var options: [String: JSONValue] = ["apiVersion": "v1", "kind": "DeleteOptions"]
            if let resourceVersion { options["preconditions"] = ["resourceVersion": .string(resourceVersion)] }
            if let gracePeriodSeconds { options["gracePeriodSeconds"] = .int(gracePeriodSeconds) }
            body = [UInt8](KubeJSON.encode(JSONValue.object(options)))
        }
        _ = try await send("DELETE", path, body: body)
    }

    /// POST `pods/NAME/binding`: assigns a pending pod to a node, as a scheduler does.
    public func bind(pod name: String, namespace: String? = nil, node: String) async throws {
        let ns = self.namespace(Pod.self, namespace) ?? "default"
        let binding: JSONValue = [
            "apiVersion": "v1", "kind": "Binding",
            "metadata": ["name": .string(name), "namespace": .string(ns)],
            "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)],
        ]
        let path = Pod.resource.itemPath(name: name, namespace: ns, subresource: "binding")
        _ = try await send("POST", path, body: [UInt8](KubeJSON.encode(binding)))
    }

    private func typed<T: KubeObject>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        var object = try decode(T.self, bytes)
        object.setTypeMeta()
        return object
    }
}
