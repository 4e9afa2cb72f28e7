import KubeAPI
import NetAddr

/// The EndpointSlice controller's decision for one Service, as a pure function: from the Service,
/// the pods of its namespace and the slices it already manages, the slices to create, update and
/// delete. Kubernetes' rules:
///
/// - only Services with a selector (and not ExternalName) are managed; pods are those the
///   selector matches that have an address of the slice's family and are not finished;
/// - `ready` = pod Ready and not terminating (always true with `publishNotReadyAddresses`),
///   `serving` = pod Ready whether or not terminating, `terminating` = deletionTimestamp set;
/// - `hostname` when the pod's `subdomain` names the Service; `nodeName`, `zone`, `targetRef`;
/// - ports resolved per pod (a named targetPort is looked up in the pod's containers), and pods
///   whose resolved ports differ go to different slices; at most `maxEndpointsPerSlice` each;
/// - endpoints stay in the slice they are in (minimal churn), new ones fill free room first;
///   a Service with no endpoints keeps one empty placeholder slice.
public struct EndpointSliceReconciler: Sendable {
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let managedBy = "endpointslice-controller.k8s.io"
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let zoneLabel = "topology.kubernetes.io/zone"

    public var maxEndpointsPerSlice: Int

    public init(maxEndpointsPerSlice: Int = 100) { self.maxEndpointsPerSlice = max(1, maxEndpointsPerSlice) }

    public struct Plan: Sendable, Equatable {
        public var creates: [EndpointSlice] = []
        public var updates: [EndpointSlice] = []
        public var deletes: [String] = []
        public var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }
    }

    /// Whether this controller manages `slice` for `service`.
    public static func isManaged(_ slice: EndpointSlice, by service: Service) -> Bool {
        slice.metadata.labels?[managedByLabel] == managedBy && slice.metadata.labels?[serviceNameLabel] == service.name
    }

    /// The plan for `service`. `pods` may hold any pods of the namespace; `existing` any slices
    /// (only managed ones of this Service are considered); `nodes` give zones by node name.
    public func reconcile(service: Service, pods: [Pod], existing: [EndpointSlice], zones: [String: String] = [:]) -> Plan {
        let mine = existing.filter { Self.isManaged($0, by: service) }
        guard let spec = service.spec, let selector = spec.selector, spec.type != "ExternalName" else {
            // Not (or no longer) ours to manage: remove what we made.
            return Plan(deletes: mine.compactMap(\.metadata.name).sorted())
        }
        let families = Self.families(of: service)
        // Desired endpoints grouped by (address type, resolved ports).
        var groups: [GroupKey: [Endpoint]] = [:]
        for pod in pods where pod.metadata.namespace == service.metadata.namespace && Self.selects(selector, pod) {
            for family in families {
                guard let address = Self.address(of: pod, family: family) else { continue }
                let ports = Self.ports(for: pod, service: spec)
                let key = GroupKey(addressType: family == .v4 ? "IPv4" : "IPv6", ports: ports)
                groups[key, default: []].append(endpoint(for: pod, address: address, service: service, zones: zones))
            }
        }
        var plan = Plan()
        var used = Set<String>()
        var slicesByKey: [GroupKey: [EndpointSlice]] = [:]
        for slice in mine { slicesByKey[GroupKey(addressType: slice.addressType, ports: slice.ports ?? []), default: []].append(slice) }

        for key in groups.keys.sorted() {
            var wanted: [String: Endpoint] = [:]
            for e in groups[key]! { wanted[e.addresses[0]] = e }
            var slices = (slicesByKey[key] ?? []).sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            // Keep endpoints where they are.
            var placed = Set<String>()
            var contents: [[Endpoint]] = slices.map { slice in
                (slice.endpoints ?? []).compactMap { old -> Endpoint? in
                    guard let address = old.addresses.first, let e = wanted[address], !placed.contains(address) else { return nil }
                    placed.insert(address)
                    return e
                }
            }
            var fresh = wanted.keys.filter { !placed.contains($0) }.sorted().map { wanted[$0]! }
            for i in contents.indices where !fresh.isEmpty {
                let room = maxEndpointsPerSlice - contents[i].count
                guard room > 0 else { continue }
                contents[i] += fresh.prefix(room)
                fresh.removeFirst(min(room, fresh.count))
            }
            while !fresh.isEmpty {
                let chunk = Array(fresh.prefix(maxEndpointsPerSlice))
                fresh.removeFirst(chunk.count)
                slices.append(newSlice(service: service, key: key))
                contents.append(chunk)
            }
            for (slice, endpoints) in zip(slices, contents) {
                if endpoints.isEmpty, let name = slice.metadata.name {
                    plan.deletes.append(name)
                    continue
                }
                var desired = slice
                desired.endpoints = endpoints.sorted(by: Self.endpointOrder)
                desired.ports = key.ports
                desired.metadata.labels = labels(for: service)
                desired.metadata.ownerReferences = [ownerReference(service)]
                if let name = slice.metadata.name {
                    used.insert(name)
                    if !Self.sameContent(desired, slice) { plan.updates.append(desired) }
                } else {
                    plan.creates.append(desired)
                }
            }
        }
        // Slices of groups that no longer exist.
        for slice in mine {
            guard let name = slice.metadata.name, !used.contains(name), !plan.deletes.contains(name) else { continue }
            plan.deletes.append(name)
        }
        // No endpoints at all: one empty placeholder slice of the primary family.
        if groups.isEmpty {
            let addressType = families.first == .v6 ? "IPv6" : "IPv4"
            let placeholderKey = GroupKey(addressType: addressType, ports: [])
            var placeholder = mine.first { GroupKey(addressType: $0.addressType, ports: $0.ports ?? []) == placeholderKey && ($0.endpoints ?? []).isEmpty }
                ?? newSlice(service: service, key: placeholderKey)
            let before = placeholder
            placeholder.endpoints = []
            placeholder.ports = nil
            placeholder.metadata.labels = labels(for: service)
            placeholder.metadata.ownerReferences = [ownerReference(service)]
            if let name = placeholder.metadata.name {
                plan.deletes.removeAll { $0 == name }
                if !Self.sameContent(placeholder, before) { plan.updates.append(placeholder) }
            } else {
                plan.creates.append(placeholder)
            }
        }
        plan.deletes.sort()
        return plan
    }

    // MARK: pieces

    struct GroupKey: Hashable, Comparable {
        var addressType: String
        var ports: [EndpointPort]

        static func < (a: GroupKey, b: GroupKey) -> Bool {
            (a.addressType, a.portsText) < (b.addressType, b.portsText)
        }
        var portsText: String { ports.map { "\($0.name ?? "")/\($0.protocol ?? "")/\($0.port ?? 0)" }.joined(separator: ",") }
        static func == (a: GroupKey, b: GroupKey) -> Bool { a.addressType == b.addressType && a.portsText == b.portsText }
        func hash(into hasher: inout Hasher) {
            hasher.combine(addressType)
            hasher.combine(portsText)
        }
    }

    static func families(of service: Service) -> [IPFamily] {
        let declared = (service.spec?.ipFamilies ?? []).compactMap { $0 == "IPv4" ? IPFamily.v4 : $0 == "IPv6" ? .v6 : nil }
        if !declared.isEmpty { return declared }
        let fromIPs = (service.spec?.clusterIPs ?? []).compactMap { IPAddress($0)?.family }
        return fromIPs.isEmpty ? [.v4] : fromIPs
    }

    static func selects(_ selector: [String: String], _ pod: Pod) -> Bool {
        guard !selector.isEmpty else { return false }  // an empty selector selects nothing here, as in Kubernetes
        let phase = pod.status?.phase
        if phase == "Succeeded" || phase == "Failed" { return false }
        let labels = pod.metadata.labels ?? [:]
        return selector.allSatisfy { labels[$0.key] == $0.value }
    }

    static func address(of pod: Pod, family: IPFamily) -> String? {
        let all = (pod.status?.podIPs?.map(\.ip) ?? []) + [pod.status?.podIP].compactMap { $0 }
        return all.first { IPAddress($0)?.family == family }.flatMap { IPAddress($0)?.description }
    }

    /// The Service's ports as this pod serves them; ports whose named targetPort the pod does
    /// not have are left out.
    static func ports(for pod: Pod, service spec: ServiceSpec) -> [EndpointPort] {
        var result: [EndpointPort] = []
        for port in spec.ports ?? [] {
            let proto = port.protocol ?? "TCP"
            var number: Int32?
            switch port.targetPort {
            case .int(let n)?: number = n
            case nil: number = port.port
            case .string(let name)?:
                let containers = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? [])
                number = containers.lazy.flatMap { $0.ports ?? [] }
                    .first { $0.name == name && ($0.protocol ?? "TCP") == proto }?.containerPort
            }
            guard let number else { continue }
            var p = EndpointPort(name: port.name ?? "", protocol: proto, port: number)
            p.appProtocol = port.appProtocol
            result.append(p)
        }
        return result
    }

    func endpoint(for pod: Pod, address: String, service: Service, zones: [String: String]) -> Endpoint {
        let podReady = pod.status?.isReady ?? false
        let terminating = pod.metadata.deletionTimestamp != nil
        let publish = service.spec?.publishNotReadyAddresses == true
        var e = Endpoint(addresses: [address],
                         conditions: EndpointConditions(ready: publish || (podReady && !terminating),
                                                        serving: publish || podReady, terminating: terminating),
                         nodeName: pod.spec?.nodeName)
        if let hostname = pod.spec?.hostname, !hostname.isEmpty, pod.spec?.subdomain == service.name {
            e.hostname = hostname
        }
        if let node = pod.spec?.nodeName, let zone = zones[node] { e.zone = zone }
        var ref = ObjectReference()
        ref.kind = "Pod"
        ref.namespace = pod.metadata.namespace
        ref.name = pod.metadata.name
        ref.uid = pod.metadata.uid
        e.targetRef = ref
        return e
    }

    func newSlice(service: Service, key: GroupKey) -> EndpointSlice {
        var slice = EndpointSlice(metadata: ObjectMeta(namespace: service.metadata.namespace))
        slice.metadata.generateName = String(service.name.prefix(57)) + "-"
        slice.addressType = key.addressType
        slice.ports = key.ports
        return slice
    }

    func labels(for service: Service) -> [String: String] {
        var labels = service.metadata.labels ?? [:]
        labels[Self.serviceNameLabel] = service.name
        labels[Self.managedByLabel] = Self.managedBy
        if service.spec?.clusterIP == "None" { labels["service.kubernetes.io/headless"] = "" } else { labels["service.kubernetes.io/headless"] = nil }
        return labels
    }

    func ownerReference(_ service: Service) -> OwnerReference {
        OwnerReference(apiVersion: "v1", kind: "Service", name: service.name, uid: service.metadata.uid ?? "",
                       controller: true, blockOwnerDeletion: true)
    }

    static func endpointOrder(_ a: Endpoint, _ b: Endpoint) -> Bool {
        (a.targetRef?.name ?? "", a.addresses.first ?? "") < (b.targetRef?.name ?? "", b.addresses.first ?? "")
    }

    static func sameContent(_ a: EndpointSlice, _ b: EndpointSlice) -> Bool {
        a.addressType == b.addressType && (a.ports ?? []) == (b.ports ?? []) && (a.endpoints ?? []) == (b.endpoints ?? [])
            && a.metadata.labels == b.metadata.labels && a.metadata.ownerReferences == b.metadata.ownerReferences
    }
}
