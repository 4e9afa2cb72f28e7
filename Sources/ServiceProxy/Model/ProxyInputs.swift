import KubeAPI

/// The objects the model reads: what the informers hold. Keys are namespace/name
/// (Nodes: namespace "").
public struct ProxyInputs: Sendable {
    public var services: [NamespacedName: Service]
    public var endpointSlices: [NamespacedName: EndpointSlice]
    public var nodes: [String: Node]

    public init(services: [NamespacedName: Service] = [:], endpointSlices: [NamespacedName: EndpointSlice] = [:],
                nodes: [String: Node] = [:]) {
        self.services = services
        self.endpointSlices = endpointSlices
        self.nodes = nodes
    }

    public init(services: [Service], endpointSlices: [EndpointSlice], nodes: [Node] = []) {
        self.init()
        for s in services { self.services[s.key] = s }
        for s in endpointSlices { self.endpointSlices[s.key] = s }
        for n in nodes { self.nodes[n.metadata.name ?? ""] = n }
    }

    /// EndpointSlices grouped by their Service (`kubernetes.io/service-name`), each group in
    /// slice-name order so that merging is deterministic.
    public var slicesByService: [NamespacedName: [EndpointSlice]] {
        var out: [NamespacedName: [EndpointSlice]] = [:]
        for (key, slice) in endpointSlices {
            guard let svc = slice.serviceName else { continue }
            out[NamespacedName(key.namespace, svc), default: []].append(slice)
        }
        for k in out.keys { out[k]!.sort { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") } }
        return out
    }
}

extension KubeObject {
    /// namespace/name of the object.
    public var key: NamespacedName { NamespacedName(metadata.namespace ?? "", metadata.name ?? "") }
}
