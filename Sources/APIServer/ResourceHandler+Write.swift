import Foundation
import KubeAPI
import Store

extension ResourceHandler {
    func create(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        let body = try ObjectDocument(body: request.body)
        if target.resource.namespaced, let namespace = target.namespace,
           try store.get(key: key(Namespace.resource, nil, namespace)) == nil {
            throw Status.notFound(Namespace.resource, name: namespace)
        }
        if target.resource.namespaced, let namespace = target.namespace { try checkNotTerminating(namespace) }
        var object = try ObjectLifecycle.prepareCreate(body, target: target)
        let name = object.name ?? ""
        let admitted = try admitCreate(&object, target)
        do {
            let revision = try await store.create(key: key(target.resource, target.namespace, name), value: object.storageBytes())
            admitted.committed()
            var created = object
            created.setMeta("resourceVersion", .string(String(revision)))
            return .json(201, created.responseBytes())
        } catch {
            admitted.abandoned()
            throw Status.from(error, resource: target.resource, name: name)
        }
    }

    func update(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        let body = try ObjectDocument(body: request.body)
        let (current, revision) = try self.current(target)
        let object = try ObjectLifecycle.prepareUpdate(body, current: current, target: target)
        return .json(200, try await write(object, over: current, at: revision, target: target))
    }

    /// Stores `object` if the stored one is still at `revision`, and returns what a client gets.
    /// An unchanged object is not written (kube-apiserver answers such no-ops without a write).
    func write(_ input: ObjectDocument, over current: ObjectDocument, at revision: Revision, target: ResourcePath) async throws -> [UInt8] {
        var object = input
        let admitted = try admitUpdate(&object, over: current, target)
        if object == current {
            admitted.abandoned()
            return current.responseBytes()
        }
        if ObjectLifecycle.isReadyToRemove(object) {
            do {
                try await store.delete(key: key(target.resource, target.namespace, target.name ?? ""), expectedRevision: revision)
            } catch {
                admitted.abandoned()
                throw error
            }
            admitted.abandoned()
            deleted(current, target.resource)
            if target.resource.namespaced, let namespace = target.namespace { try await finishNamespaceIfEmpty(namespace) }
            return object.responseBytes()
        }
        let newRevision: Revision
        do {
            newRevision = try await store.update(key: key(target.resource, target.namespace, target.name ?? ""),
                                                 value: object.storageBytes(), expectedRevision: revision)
        } catch {
            admitted.abandoned()
            throw error
        }
        admitted.committed()
        var written = object
        written.setMeta("resourceVersion", .string(String(newRevision)))
        return written.responseBytes()
    }

    func patch(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        let patchType = request.contentType
        let apply: (JSONValue) throws -> JSONValue
        let patch: JSONValue
        switch patchType {
        case "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json":
            do { patch = try KubeJSON.decode(JSONValue.self, from: Data(request.body)) } catch {
                throw Status.badRequest("the patch is not valid JSON: \(error)")
            }
        case "application/apply-patch+yaml":
            throw Status(code: 415, reason: "UnsupportedMediaType",
                         message: "server-side apply (application/apply-patch+yaml) is not supported by this server yet")
        default:
            throw Status.unsupportedMediaType(patchType)
        }
        switch patchType {
        case "application/json-patch+json":
            guard case .array = patch else { throw Status.badRequest("a JSON patch must be an array of operations") }
            apply = { document in
                do { return try document.jsonPatched(with: patch) } catch {
                    throw Status(code: 422, reason: "Invalid", message: "the JSON patch could not be applied: \(error)")
                }
            }
        case "application/strategic-merge-patch+json":
            // Not strategic yet: directives are dropped and lists are replaced, as in a merge patch.
            let merge = Self.strippingDirectives(patch)
            apply = { $0.mergePatched(with: merge) }
        default:
            apply = { $0.mergePatched(with: patch) }
        }
        // Like kube-apiserver's GuaranteedUpdate: re-read and re-apply when another write wins,
        // unless the patch itself names the resourceVersion it was made against.
        for _ in 0..<8 {
            let (current, revision) = try self.current(target)
            guard case .object(let fields) = try apply(current.json) else {
                throw Status.badRequest("the patched document is not a JSON object")
            }
            var patched = ObjectDocument(fields: fields)
            let precondition = patched.resourceVersion != current.resourceVersion
            if precondition, patched.resourceVersion != nil { throw Status.conflict(target.resource, name: target.name ?? "") }
            patched.setMeta("resourceVersion", current.metadata["resourceVersion"])
            let object = try ObjectLifecycle.prepareUpdate(patched, current: current, target: target)
            do {
                return .json(200, try await write(object, over: current, at: revision, target: target))
            } catch StoreError.conflict {
                continue
            }
        }
        throw Status.conflict(target.resource, name: target.name ?? "")
    }

    func delete(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        var options: [String: JSONValue] = [:]
        if !request.body.isEmpty, let document = try? ObjectDocument(body: request.body) { options = document.fields }
        let preconditions = options["preconditions"]?.objectValue ?? [:]
        var requestedGrace: Int64?
        if case .int(let n)? = options["gracePeriodSeconds"] { requestedGrace = n }
        if let text = request.query["gracePeriodSeconds"], let n = Int64(text) { requestedGrace = n }
        if let grace = requestedGrace, grace < 0 { requestedGrace = 0 }
        for _ in 0..<8 {
            let (current, revision) = try self.current(target)
            if let uid = preconditions["uid"]?.stringValue, uid != current.meta("uid") {
                throw Status(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.meta("uid") ?? "")")
            }
            if let rv = preconditions["resourceVersion"]?.stringValue, rv != current.resourceVersion {
                throw Status(code: 409, reason: "Conflict", message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current.resourceVersion ?? "")")
            }
            do {
                if isNamespace(target.resource), target.subresource == nil {
                    return try await deleteNamespace(target, current: current, revision: revision)
                }
                switch ObjectLifecycle.deletion(of: current, resource: target.resource, gracePeriod: requestedGrace) {
                case .now:
                    try await store.delete(key: key(target.resource, target.namespace, target.name ?? ""), expectedRevision: revision)
                    deleted(current, target.resource)
                    if target.resource.namespaced, let namespace = target.namespace { try await finishNamespaceIfEmpty(namespace) }
                    return .json(200, current.responseBytes())
                case .unchanged:
                    return .json(200, current.responseBytes())
                case .mark(var marked):
                    let written = try await store.update(key: key(target.resource, target.namespace, target.name ?? ""),
                                                         value: marked.storageBytes(), expectedRevision: revision)
                    marked.setMeta("resourceVersion", .string(String(written)))
                    return .json(200, marked.responseBytes())
                }
            } catch StoreError.conflict {
                continue
            }
        }
        throw Status.conflict(target.resource, name: target.name ?? "")
    }

    func deleteCollection(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        let filter = try ObjectFilter(query: request.query, resource: target.resource)
        let page = try collect(prefix: prefix(target), filter: filter, limit: nil, after: nil)
        var deleted: [JSONValue] = []
        for object in page.items {
            let itemKey = key(target.resource, object.namespace, object.name ?? "")
            do {
                try await store.delete(key: itemKey, expectedRevision: nil)
                self.deleted(object, target.resource)
                deleted.append(object.json)
            } catch StoreError.notFound {
                continue
            }
        }
        return .json(200, ["apiVersion": .string(target.resource.apiVersion), "kind": .string(target.resource.listKind),
                           "metadata": ["resourceVersion": .string(String(store.currentRevision))], "items": .array(deleted)])
    }

    /// A strategic merge patch without its `$`-directives (`$patch`, `$retainKeys`,
    /// `$setElementOrder/...`, `$deleteFromPrimitiveList/...`), which a merge patch would store.
    static func strippingDirectives(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, member) in object where !key.hasPrefix("$") { result[key] = strippingDirectives(member) }
            return .object(result)
        case .array(let array): return .array(array.map(strippingDirectives))
        default: return value
        }
    }
}
