import Foundation
import KubeAPI
import Store

/// Kind-specific steps between the generic lifecycle and the store write: Service defaults and
/// allocations today. An `Admitted` carries what to undo if the write does not happen.
struct Admitted: Sendable {
    var onCommit: @Sendable () -> Void = {}
    var onAbandon: @Sendable () -> Void = {}
    func committed() { onCommit() }
    func abandoned() { onAbandon() }
    static let none = Admitted()
}

extension ResourceHandler {
    func admitCreate(_ object: inout ObjectDocument, _ target: ResourcePath) throws(Status) -> Admitted {
        guard target.subresource == nil, target.resource.kind == Service.resource.kind,
              target.resource.group == Service.resource.group else { return .none }
        try loadServiceAllocations()
        let admission = ServiceAdmission(allocator: services)
        let outcome = try admission.admitCreate(try object.decoded(Service.self))
        try object.replaceSpec(with: outcome.service)
        let allocator = services
        return Admitted(onAbandon: { allocator.release(outcome.reservedAddresses, ports: outcome.reservedPorts) })
    }

    func admitUpdate(_ object: inout ObjectDocument, over current: ObjectDocument, _ target: ResourcePath) throws(Status) -> Admitted {
        guard target.subresource == nil, target.resource.kind == Service.resource.kind,
              target.resource.group == Service.resource.group else { return .none }
        try loadServiceAllocations()
        let admission = ServiceAdmission(allocator: services)
        let outcome = try admission.admitUpdate(try object.decoded(Service.self), old: try current.decoded(Service.self))
        try object.replaceSpec(with: outcome.service)
        let allocator = services
        return Admitted(onCommit: { allocator.release(outcome.freedAddresses, ports: outcome.freedPorts) },
                        onAbandon: { allocator.release(outcome.reservedAddresses, ports: outcome.reservedPorts) })
    }

    /// Releases what a deleted object held.
    func deleted(_ object: ObjectDocument, _ info: ResourceInfo) {
        guard info.kind == Service.resource.kind, info.group == Service.resource.group,
              let service = try? object.decoded(Service.self) else { return }
        services.release(ServiceAllocator.clusterIPs(of: service), ports: ServiceAllocator.nodePorts(of: service))
    }

    private func loadServiceAllocations() throws(Status) {
        do {
            try services.loadIfNeeded {
                let prefix = RegistryKey.prefix(resource: Service.resource.qualifiedResource, namespace: nil)
                var result: [Service] = []
                var cursor: String?
                repeat {
                    let page = try store.list(prefix: prefix, limit: 500, continueAfter: cursor)
                    for item in page.items { result.append(try KubeJSON.decode(Service.self, from: Data(item.value))) }
                    cursor = page.continueAfter
                } while cursor != nil
                return result
            }
        } catch {
            throw .internalError("reading the allocated service IPs and ports: \(error)")
        }
    }
}

extension ObjectDocument {
    /// The document as a typed object (unknown fields kept in the value).
    func decoded<T: KubeObject>(_ type: T.Type) throws(Status) -> T {
        do { return try KubeJSON.decode(T.self, from: Data(KubeJSON.encode(json))) } catch {
            throw .badRequest("the \(T.resource.kind) is not valid: \(error)")
        }
    }

    /// Replaces `spec` with the typed object's; metadata and status stay as they are.
    mutating func replaceSpec<T: KubeObject>(with object: T) throws(Status) {
        do {
            let encoded = try KubeJSON.decode(JSONValue.self, from: KubeJSON.encode(object))
            fields["spec"] = encoded["spec"]
        } catch {
            throw .internalError("encoding the admitted \(T.resource.kind): \(error)")
        }
    }
}
