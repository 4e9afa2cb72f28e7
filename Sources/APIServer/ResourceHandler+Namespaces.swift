import Foundation
import KubeAPI
import Store

/// Namespace deletion, done by the server: the namespace turns Terminating (new content is
/// refused), everything in it is deleted with the usual rules (bound pods gracefully, objects
/// with finalizers held), and the namespace itself goes once nothing is left — at once, or when
/// the last held object is finally removed.
extension ResourceHandler {
    static let undeletableNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    func isNamespace(_ info: ResourceInfo) -> Bool { info.kind == "Namespace" && info.group.isEmpty }

    /// 403 when `namespace` is being deleted.
    func checkNotTerminating(_ namespace: String) throws {
        guard let stored = try store.get(key: key(Namespace.resource, nil, namespace)),
              let document = try? ObjectDocument(stored: stored.value, revision: stored.modRevision) else { return }
        if document.metadata["deletionTimestamp"] != nil {
            throw Status.forbidden("unable to create new content in namespace \(namespace) because it is being terminated")
        }
    }

    func deleteNamespace(_ target: ResourcePath, current: ObjectDocument, revision: Revision) async throws -> APIResponse {
        let name = target.name ?? ""
        if Self.undeletableNamespaces.contains(name) {
            throw Status.forbidden("namespace \"\(name)\" is forbidden: this namespace may not be deleted")
        }
        var marked = current
        if marked.metadata["deletionTimestamp"] == nil {
            marked.setMeta("deletionTimestamp", .string(Time.now().description))
            marked.setMeta("deletionGracePeriodSeconds", .int(0))
            var status = marked.fields["status"]?.objectValue ?? [:]
            status["phase"] = "Terminating"
            marked.fields["status"] = .object(status)
            let written = try await store.update(key: key(target.resource, nil, name), value: marked.storageBytes(), expectedRevision: revision)
            marked.setMeta("resourceVersion", .string(String(written)))
        }
        for info in ResourceRegistry.builtin.all where info.namespaced {
            let prefix = RegistryKey.prefix(resource: info.qualifiedResource, namespace: name)
            var cursor: String?
            repeat {
                let page = try store.list(prefix: prefix, limit: 500, continueAfter: cursor)
                for stored in page.items {
                    let object = try ObjectDocument(stored: stored.value, revision: stored.modRevision)
                    do {
                        switch ObjectLifecycle.deletion(of: object, resource: info, gracePeriod: nil) {
                        case .now:
                            _ = try await store.delete(key: stored.key, expectedRevision: stored.modRevision)
                            deleted(object, info)
                        case .unchanged: break
                        case .mark(let doc):
                            _ = try await store.update(key: stored.key, value: doc.storageBytes(), expectedRevision: stored.modRevision)
                        }
                    } catch StoreError.conflict, StoreError.notFound {
                        continue  // changed meanwhile: a later delete of it finishes the namespace
                    }
                }
                cursor = page.continueAfter
            } while cursor != nil
        }
        if try await finishNamespaceIfEmpty(name) { return .json(200, marked.responseBytes()) }
        return .json(200, marked.responseBytes())
    }

    /// Removes a Terminating namespace that holds nothing any more; true when it did.
    @discardableResult
    func finishNamespaceIfEmpty(_ name: String) async throws -> Bool {
        let nsKey = key(Namespace.resource, nil, name)
        guard let stored = try store.get(key: nsKey),
              let document = try? ObjectDocument(stored: stored.value, revision: stored.modRevision),
              document.metadata["deletionTimestamp"] != nil,
              document.metadata["finalizers"]?.arrayValue?.isEmpty ?? true else { return false }
        for info in ResourceRegistry.builtin.all where info.namespaced {
            if try !store.list(prefix: RegistryKey.prefix(resource: info.qualifiedResource, namespace: name), limit: 1, continueAfter: nil).items.isEmpty {
                return false
            }
        }
        do {
            _ = try await store.delete(key: nsKey, expectedRevision: stored.modRevision)
            return true
        } catch StoreError.conflict, StoreError.notFound {
            return false
        }
    }
}
