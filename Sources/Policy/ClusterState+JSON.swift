import FoundationEssentials
import KubeAPI

extension ClusterState {
    /// A state from a JSON document holding objects: a `List` (`kubectl get … -o json`), one
    /// object, or an array. Pods, Namespaces, NetworkPolicies and ClusterNetworkPolicies are
    /// kept; other kinds are ignored.
    public init(json data: Data) throws {
        self.init()
        let doc = try JSONDecoder().decode(JSONValue.self, from: data)
        var items: [JSONValue] = []
        switch doc {
        case .array(let a): items = a
        case .object(let o):
            if case .array(let a)? = o["items"] { items = a } else { items = [doc] }
        default: break
        }
        for item in items {
            guard case .object(let o) = item, case .string(let kind)? = o["kind"] else { continue }
            switch kind {
            case "Pod": upsert(try item.decode(as: Pod.self))
            case "Namespace": upsert(try item.decode(as: Namespace.self))
            case "NetworkPolicy": upsert(try item.decode(as: NetworkPolicy.self))
            case "ClusterNetworkPolicy": upsert(try item.decode(as: ClusterNetworkPolicy.self))
            default: continue
            }
        }
    }
}
