import DNSWire

/// What the cluster zone serves (issue 8 §2 options).
public struct ZoneOptions: Sendable, Equatable {
    /// `a-b-c-d.<ns>.pod.<zone>` records.
    public enum PodRecords: String, Sendable, CaseIterable {
        /// No pod records (the `pod` subtree does not exist).
        case disabled
        /// Any well-formed address label answers with that address, without a lookup.
        case insecure
        /// Only addresses of Pods that exist in that namespace.
        case verified
    }

    /// How a headless Service's endpoint without `hostname` is named.
    public enum EndpointNames: String, Sendable, CaseIterable {
        /// An address-derived label, `10-0-0-1`.
        case ip
        /// The target Pod's name when there is one (CoreDNS `endpoint_pod_names`).
        case podName = "pod-name"
    }

    /// The cluster domain, lowercased, e.g. `cluster.local.`.
    public var zone: DNSName
    /// TTL of every answer and of the SOA (also its negative-caching minimum).
    public var ttl: UInt32
    public var pods: PodRecords
    public var endpointNames: EndpointNames
    /// Serve only these namespaces (empty: all).
    public var namespaces: Set<String>
    /// Server-side search-path expansion for queries from known pods (`ZoneSnapshot.autopath`).
    public var autopath: Bool

    public init(zone: DNSName = "cluster.local.", ttl: UInt32 = 30, pods: PodRecords = .disabled,
                endpointNames: EndpointNames = .ip, namespaces: Set<String> = [], autopath: Bool = false) {
        self.zone = zone.lowercased()
        self.ttl = ttl
        self.pods = pods
        self.endpointNames = endpointNames
        self.namespaces = namespaces
        self.autopath = autopath
    }

    func serves(namespace: String) -> Bool { namespaces.isEmpty || namespaces.contains(namespace) }

    /// The zone's labels as strings (`["cluster", "local"]`).
    var zoneLabels: [String] {
        zone.description.split(separator: ".").map(String.init)
    }
}
