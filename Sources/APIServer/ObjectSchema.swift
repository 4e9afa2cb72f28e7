import Foundation
import KubeAPI

/// The model types of the built-in kinds, used to reject objects whose fields have the wrong
/// JSON type (`"replicas": "two"`) the way kube-apiserver's decoder does, with 400 BadRequest.
/// Unknown fields pass: the models keep them, and strict field validation is not done yet.
enum ObjectSchema {
    static let types: [String: any KubeObject.Type] = {
        let all: [any KubeObject.Type] = [
            Pod.self, Service.self, Node.self, Namespace.self, ServiceAccount.self, Secret.self, ConfigMap.self,
            Event.self, EndpointSlice.self, NetworkPolicy.self, Deployment.self, ReplicaSet.self, DaemonSet.self,
            Lease.self, Role.self, ClusterRole.self, RoleBinding.self, ClusterRoleBinding.self, PriorityClass.self,
            ClusterNetworkPolicy.self,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.resource.qualifiedResource, $0) })
    }()

    /// Throws 400 when `object` does not decode as its kind's model type.
    static func check(_ object: ObjectDocument, _ info: ResourceInfo) throws(Status) {
        guard let type = types[info.qualifiedResource] else { return }
        do {
            _ = try decode(type, Data(object.responseBytes()))
        } catch {
            throw .badRequest("\(info.kind) in version \"\(info.version)\" cannot be handled as a \(info.kind): \(error)")
        }
    }

    private static func decode<T: KubeObject>(_ type: T.Type, _ data: Data) throws -> T {
        try KubeJSON.decode(T.self, from: data)
    }
}
