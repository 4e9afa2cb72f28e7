import Foundation
import KubeAPI
import Store

/// `pods/binding` (the scheduler's write) and `scale` (Deployments, ReplicaSets).
extension ResourceHandler {
    /// POST `pods/{name}/binding`: sets `spec.nodeName` once, with a PodScheduled condition.
    /// 409 when the pod is already bound or being deleted, as kube-apiserver answers.
    func bind(_ target: ResourcePath, _ request: APIRequest) async throws -> APIResponse {
        let binding = try ObjectDocument(body: request.body)
        if let kind = binding.fields["kind"]?.stringValue, kind != "Binding" {
            throw Status.badRequest("the body's kind \(kind) is not Binding")
        }
        if let name = binding.name, !name.isEmpty, name != target.name {
            throw Status.badRequest("the binding's name (\(name)) does not match the pod's (\(target.name ?? ""))")
        }
        let node = binding.fields["target"]?["name"]?.stringValue ?? ""
        let kind = binding.fields["target"]?["kind"]?.stringValue ?? "Node"
        guard kind == "Node", !node.isEmpty else {
            throw Status.invalid(Pod.resource, name: target.name ?? "", causes: [StatusCause(
                reason: "FieldValueRequired", message: "Required value: a binding needs target.kind Node and target.name", field: "target.name")])
        }
        var podTarget = target
        podTarget.subresource = nil
        for _ in 0..<8 {
            let (current, revision) = try self.current(podTarget)
            if let uid = binding.meta("uid"), !uid.isEmpty, uid != current.meta("uid") {
                throw Status(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.meta("uid") ?? "")")
            }
            if current.metadata["deletionTimestamp"] != nil {
                throw Status(code: 409, reason: "Conflict", message: "pod \(target.name ?? "") is being deleted, cannot be assigned to a host")
            }
            if let assigned = current.fields["spec"]?["nodeName"]?.stringValue, !assigned.isEmpty {
                throw Status(code: 409, reason: "Conflict", message: "pod \(target.name ?? "") is already assigned to node \"\(assigned)\"")
            }
            var pod = current
            var spec = pod.fields["spec"]?.objectValue ?? [:]
            spec["nodeName"] = .string(node)
            pod.fields["spec"] = .object(spec)
            var status = pod.fields["status"]?.objectValue ?? [:]
            var conditions = (status["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastTransitionTime": .string(Time.now().description)])
            status["conditions"] = .array(conditions)
            pod.fields["status"] = .object(status)
            do {
                _ = try await store.update(key: key(target.resource, target.namespace, target.name ?? ""),
                                           value: pod.storageBytes(), expectedRevision: revision)
                return .json(201, ["apiVersion": "v1", "kind": "Status", "metadata": [:], "status": "Success", "code": 201])
            } catch StoreError.conflict {
                continue
            }
        }
        throw Status.conflict(target.resource, name: target.name ?? "")
    }

    /// GET, PUT and PATCH on `{deployments,replicasets}/{name}/scale`: an autoscaling/v1 Scale
    /// view of `spec.replicas`, `status.replicas` and the selector.
    func scale(_ target: ResourcePath, _ verb: Verb, _ request: APIRequest) async throws -> APIResponse {
        var objectTarget = target
        objectTarget.subresource = nil
        for _ in 0..<8 {
            let (current, revision) = try self.current(objectTarget)
            let view = Self.scaleView(of: current)
            let desired: ObjectDocument
            switch verb {
            case .get:
                return .json(200, view.json)
            case .update:
                desired = try ObjectDocument(body: request.body)
                if let kind = desired.fields["kind"]?.stringValue, !kind.isEmpty, kind != "Scale" {
                    throw Status.badRequest("the body's kind \(kind) is not Scale")
                }
                if let version = desired.resourceVersion, !version.isEmpty, version != current.resourceVersion {
                    throw Status.conflict(target.resource, name: target.name ?? "")
                }
            case .patch:
                let patch: JSONValue
                do { patch = try KubeJSON.decode(JSONValue.self, from: Data(request.body)) } catch {
                    throw Status.badRequest("the patch is not valid JSON: \(error)")
                }
                let patched: JSONValue
                switch request.contentType {
                case "application/json-patch+json":
                    do { patched = try view.json.jsonPatched(with: patch) } catch {
                        throw Status(code: 422, reason: "Invalid", message: "the JSON patch could not be applied: \(error)")
                    }
                case "application/merge-patch+json", "application/strategic-merge-patch+json":
                    patched = view.json.mergePatched(with: Self.strippingDirectives(patch))
                default:
                    throw Status.unsupportedMediaType(request.contentType)
                }
                guard case .object(let fields) = patched else { throw Status.badRequest("the patched Scale is not an object") }
                desired = ObjectDocument(fields: fields)
            default:
                throw Status(code: 405, reason: "MethodNotAllowed", message: "the scale subresource supports get, update and patch")
            }
            let replicas: Int64
            switch desired.fields["spec"]?["replicas"] {
            case .int(let n)? where n >= 0 && n <= Int64(Int32.max): replicas = n
            case nil: replicas = 0
            default:
                throw Status.invalid(target.resource, name: target.name ?? "", causes: [StatusCause(
                    reason: "FieldValueInvalid", message: "Invalid value: must be greater than or equal to 0", field: "spec.replicas")])
            }
            var object = current
            var spec = object.fields["spec"]?.objectValue ?? [:]
            if spec["replicas"] == .int(replicas) { return .json(200, view.json) }
            spec["replicas"] = .int(replicas)
            object.fields["spec"] = .object(spec)
            if case .int(let generation)? = object.metadata["generation"] { object.setMeta("generation", .int(generation + 1)) }
            do {
                let written = try await store.update(key: key(target.resource, target.namespace, target.name ?? ""),
                                                     value: object.storageBytes(), expectedRevision: revision)
                object.setMeta("resourceVersion", .string(String(written)))
                return .json(200, Self.scaleView(of: object).json)
            } catch StoreError.conflict {
                if verb == .update { throw Status.conflict(target.resource, name: target.name ?? "") }
                continue
            }
        }
        throw Status.conflict(target.resource, name: target.name ?? "")
    }

    /// The Scale a workload presents: its metadata, desired and current replicas, and its
    /// selector as a label-selector string.
    static func scaleView(of object: ObjectDocument) -> ObjectDocument {
        var metadata: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { metadata[key] = object.metadata[key] }
        var selector = ""
        if let value = object.fields["spec"]?["selector"],
           let parsed = try? value.decode(as: LabelSelector.self), let requirements = try? parsed.requirements() {
            selector = requirements.description
        }
        return ObjectDocument(fields: [
            "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": .object(metadata),
            "spec": ["replicas": object.fields["spec"]?["replicas"] ?? .int(1)],
            "status": ["replicas": object.fields["status"]?["replicas"] ?? .int(0), "selector": .string(selector)],
        ])
    }
}
