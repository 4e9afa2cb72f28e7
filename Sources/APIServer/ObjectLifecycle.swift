import Foundation
import KubeAPI

/// The pure part of create and update: checks, system-set metadata, status and generation
/// rules. No store access, so every rule is testable on plain values.
enum ObjectLifecycle {
    /// A new object from a POST body on `target` (a collection URL): 400 for a body of another
    /// kind or namespace, 422 for invalid metadata.
    static func prepareCreate(_ body: ObjectDocument, target: ResourcePath, now: Time = .now(),
                              uid: String = UUID().uuidString.lowercased()) throws(Status) -> ObjectDocument {
        let info = target.resource
        var object = body
        try checkTypeMeta(object, info)
        object.fields["apiVersion"] = .string(info.apiVersion)
        object.fields["kind"] = .string(info.kind)
        if info.namespaced {
            if let ns = object.namespace, !ns.isEmpty, ns != target.namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object.setMeta("namespace", target.namespace.map(JSONValue.string))
        } else {
            object.setMeta("namespace", nil)
        }
        if (object.name ?? "").isEmpty, let generate = object.meta("generateName"), !generate.isEmpty {
            object.setMeta("name", .string(generate + randomSuffix()))
        }
        try validate(object, info)
        try ObjectSchema.check(object, info)
        for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            object.setMeta(key, nil)
        }
        object.setMeta("uid", .string(uid))
        object.setMeta("creationTimestamp", .string(now.description))
        if object.specification.keys.contains("spec") || info.subresources.contains("status") {
            object.setMeta("generation", 1)
        }
        // Status is the controllers' to write: a create starts from an empty one.
        if info.subresources.contains("status") { object.fields["status"] = nil }
        switch info.kind {
        case "Namespace": object.fields["status"] = ["phase": "Active"]
        case "Pod": object.fields["status"] = ["phase": "Pending"]
        case "Secret" where (object.fields["type"]?.stringValue ?? "").isEmpty: object.fields["type"] = "Opaque"
        default: break
        }
        return object
    }

    /// The object to store for a PUT of `body` over `current` (the object at `target`).
    /// `target.subresource == "status"` changes only status; the main resource keeps the stored status.
    static func prepareUpdate(_ body: ObjectDocument, current: ObjectDocument, target: ResourcePath) throws(Status) -> ObjectDocument {
        let info = target.resource
        try checkTypeMeta(body, info)
        if let name = body.name, name != target.name {
            throw .badRequest("the name of the object (\(name)) does not match the name on the URL (\(target.name ?? ""))")
        }
        if info.namespaced, let ns = body.namespace, !ns.isEmpty, ns != target.namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        guard let version = body.resourceVersion, !version.isEmpty else {
            throw .invalid(info, name: target.name ?? "", causes: [StatusCause(
                reason: "FieldValueInvalid", message: "Invalid value: 0x0: must be specified for an update",
                field: "metadata.resourceVersion")])
        }
        guard version == current.resourceVersion else { throw .conflict(info, name: target.name ?? "") }
        var object: ObjectDocument
        if target.subresource == "status" {
            object = current
            object.fields["status"] = body.fields["status"]
        } else {
            object = body
            object.fields["apiVersion"] = .string(info.apiVersion)
            object.fields["kind"] = .string(info.kind)
            if info.subresources.contains("status") { object.fields["status"] = current.fields["status"] }
            for key in ["name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generateName"] {
                object.setMeta(key, current.metadata[key])
            }
            if object.specification != current.specification, case .int(let generation)? = current.metadata["generation"] {
                object.setMeta("generation", .int(generation + 1))
            }
            try validate(object, info)
        }
        try ObjectSchema.check(object, info)
        object.setMeta("resourceVersion", current.metadata["resourceVersion"])
        return object
    }

    /// What a DELETE does to `object`.
    enum Deletion {
        /// Remove it from the store.
        case now
        /// Already being deleted at least as soon as asked: nothing to write.
        case unchanged
        /// Store this version (deletionTimestamp set); a kubelet or a finalizer's owner finishes.
        case mark(ObjectDocument)
    }

    /// Graceful deletion and finalizers as kube-apiserver does them: an object with finalizers
    /// gets a deletionTimestamp and stays until they are gone; a Pod bound to a node and still
    /// running gets deletionTimestamp = now + grace period (the request's, else its
    /// `terminationGracePeriodSeconds`, else 30 s) and is removed when its kubelet deletes it
    /// with grace 0. Unbound and finished pods, and every other kind, go at once.
    static func deletion(of object: ObjectDocument, resource: ResourceInfo, gracePeriod: Int64?, now: Time = .now()) -> Deletion {
        let finalizers = object.metadata["finalizers"]?.arrayValue ?? []
        let alreadyDeleting = object.metadata["deletionTimestamp"] != nil
        var grace: Int64 = 0
        if resource.kind == "Pod", resource.group.isEmpty {
            let bound = !(object.fields["spec"]?["nodeName"]?.stringValue ?? "").isEmpty
            let phase = object.fields["status"]?["phase"]?.stringValue ?? ""
            if bound, phase != "Succeeded", phase != "Failed" {
                var fallback: Int64 = 30
                if case .int(let n)? = object.fields["spec"]?["terminationGracePeriodSeconds"] { fallback = n }
                if case .int(let n)? = object.metadata["deletionGracePeriodSeconds"], alreadyDeleting { fallback = n }
                grace = max(0, gracePeriod ?? fallback)
            }
        }
        if finalizers.isEmpty, grace == 0 { return .now }
        if alreadyDeleting {
            // A second DELETE may only shorten the grace period.
            if case .int(let current)? = object.metadata["deletionGracePeriodSeconds"], grace >= current { return .unchanged }
        }
        var marked = object
        let when = Time(secondsSince1970: now.secondsSince1970 + grace)
        marked.setMeta("deletionTimestamp", .string(when.description))
        marked.setMeta("deletionGracePeriodSeconds", .int(grace))
        if case .int(let generation)? = marked.metadata["generation"] { marked.setMeta("generation", .int(generation + 1)) }
        return .mark(marked)
    }

    /// An update that leaves a deleted object with no finalizers and no grace period left
    /// removes it (the last finalizer's owner finishing the deletion).
    static func isReadyToRemove(_ object: ObjectDocument) -> Bool {
        guard object.metadata["deletionTimestamp"] != nil, object.metadata["finalizers"]?.arrayValue?.isEmpty ?? true else { return false }
        if case .int(let grace)? = object.metadata["deletionGracePeriodSeconds"], grace > 0 { return false }
        return true
    }

    /// 422 with one cause per problem in the name and labels.
    static func validate(_ object: ObjectDocument, _ info: ResourceInfo) throws(Status) {
        var causes: [StatusCause] = []
        let name = object.name ?? ""
        if name.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: name or generateName is required",
                                      field: "metadata.name"))
        } else {
            // Namespaces and Services become DNS labels; RBAC names are path segments
            // (`system:discovery`); most other names are DNS subdomains.
            let problems = ["Namespace", "Service"].contains(info.kind) ? Validation.dns1123Label(name)
                : info.group == "rbac.authorization.k8s.io" ? Validation.pathSegmentName(name)
                : Validation.dns1123Subdomain(name)
            for problem in problems {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(problem)",
                                          field: "metadata.name"))
            }
        }
        for problem in Validation.labels(object.labels) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: problem, field: "metadata.labels"))
        }
        if !causes.isEmpty { throw .invalid(info, name: name, causes: causes) }
    }

    private static func checkTypeMeta(_ object: ObjectDocument, _ info: ResourceInfo) throws(Status) {
        if let kind = object.fields["kind"]?.stringValue, !kind.isEmpty, kind != info.kind {
            throw .badRequest("the body's kind \(kind) does not match the URL's resource \(info.qualifiedResource)")
        }
        if let apiVersion = object.fields["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != info.apiVersion {
            throw .badRequest("the body's apiVersion \(apiVersion) does not match the URL's \(info.apiVersion)")
        }
    }

    /// Five characters from kube-apiserver's generateName alphabet (no vowels, no look-alikes).
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }
}
