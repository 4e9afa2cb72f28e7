import KubeAPI
import NetAddr

/// The facts the zone is built from, kept compact: only what DNS needs from each object,
/// so 150,000 endpoints cost a few megabytes rather than full API objects.
/// Mutated by event methods (`upsert`/`delete` per kind) that an informer's add/update/
/// delete handlers can call directly; `ClusterZone` wraps it with locking and publication.
public struct ClusterState: Sendable {
    struct Port: Sendable, Hashable {
        var name: String
        var proto: String
        var port: UInt16
    }

    struct ServiceInfo: Sendable {
        enum Kind: Sendable { case clusterIP([IPAddress]), headless, externalName(String) }
        var kind: Kind
        var ports: [Port]
        var publishNotReady: Bool
    }

    struct EndpointInfo: Sendable {
        /// Only the first address counts (EndpointSlice API: addresses are fungible).
        var address: IPAddress
        var ready: Bool
        var hostname: String?
        var podName: String?
    }

    struct SliceInfo: Sendable {
        var service: String
        var ports: [Port]
        var endpoints: [EndpointInfo]
    }

    struct PodInfo: Sendable {
        var ips: [IPAddress]
        var hostname: String?
        var subdomain: String?
    }

    /// Keys are "namespace/name".
    var services: [String: ServiceInfo] = [:]
    var slices: [String: SliceInfo] = [:]
    /// Service key → keys of its slices.
    var slicesByService: [String: Set<String>] = [:]
    var pods: [String: PodInfo] = [:]
    var namespaces: Set<String> = []
    /// True once every informer has synced (`markSynced`): until then the zone answers SERVFAIL.
    public private(set) var synced = false

    public init() {}

    static func key(_ ns: String?, _ name: String) -> String { "\(ns ?? "default")/\(name)" }

    public mutating func markSynced() { synced = true }

    // MARK: Service

    public mutating func upsert(service s: Service) {
        let spec = s.spec ?? ServiceSpec()
        let kind: ServiceInfo.Kind
        if spec.type == "ExternalName" {
            guard let target = spec.externalName, !target.isEmpty else { services[ClusterState.key(s.namespace, s.name)] = nil; return }
            kind = .externalName(target)
        } else if spec.clusterIP == "None" {
            kind = .headless
        } else {
            let ips = (spec.clusterIPs ?? spec.clusterIP.map { [$0] } ?? []).compactMap(IPAddress.init)
            kind = .clusterIP(ips)
        }
        let ports = (spec.ports ?? []).compactMap { p -> Port? in
            guard let name = p.name, !name.isEmpty, p.port > 0, p.port <= 65535 else { return nil }
            return Port(name: name, proto: (p.protocol ?? "TCP"), port: UInt16(p.port))
        }
        services[ClusterState.key(s.namespace, s.name)] =
            ServiceInfo(kind: kind, ports: ports, publishNotReady: spec.publishNotReadyAddresses ?? false)
    }

    public mutating func delete(service s: Service) {
        services[ClusterState.key(s.namespace, s.name)] = nil
    }

    // MARK: EndpointSlice

    public mutating func upsert(endpointSlice e: EndpointSlice) {
        let key = ClusterState.key(e.namespace, e.name)
        delete(sliceKey: key)
        guard let svc = e.serviceName, e.addressType == "IPv4" || e.addressType == "IPv6" else { return }
        let ports = (e.ports ?? []).compactMap { p -> Port? in
            guard let name = p.name, !name.isEmpty, let port = p.port, port > 0, port <= 65535 else { return nil }
            return Port(name: name, proto: p.protocol ?? "TCP", port: UInt16(port))
        }
        let endpoints = (e.endpoints ?? []).compactMap { ep -> EndpointInfo? in
            guard let first = ep.addresses.first, let ip = IPAddress(first) else { return nil }
            let pod = ep.targetRef?.kind == "Pod" || ep.targetRef?.kind == nil ? ep.targetRef?.name : nil
            return EndpointInfo(address: ip, ready: ep.conditions?.ready ?? true,
                                hostname: ep.hostname, podName: pod)
        }
        let svcKey = ClusterState.key(e.namespace, svc)
        slices[key] = SliceInfo(service: svcKey, ports: ports, endpoints: endpoints)
        slicesByService[svcKey, default: []].insert(key)
    }

    public mutating func delete(endpointSlice e: EndpointSlice) {
        delete(sliceKey: ClusterState.key(e.namespace, e.name))
    }

    mutating func delete(sliceKey key: String) {
        guard let old = slices.removeValue(forKey: key) else { return }
        slicesByService[old.service]?.remove(key)
        if slicesByService[old.service]?.isEmpty == true { slicesByService[old.service] = nil }
    }

    // MARK: Pod

    public mutating func upsert(pod p: Pod) {
        let ips = (p.status?.podIPs?.map(\.ip) ?? p.status?.podIP.map { [$0] } ?? []).compactMap(IPAddress.init)
        let key = ClusterState.key(p.namespace, p.name)
        if ips.isEmpty && p.spec?.hostname == nil {
            pods[key] = nil
            return
        }
        pods[key] = PodInfo(ips: ips, hostname: p.spec?.hostname, subdomain: p.spec?.subdomain)
    }

    public mutating func delete(pod p: Pod) {
        pods[ClusterState.key(p.namespace, p.name)] = nil
    }

    // MARK: Namespace

    public mutating func upsert(namespace n: Namespace) { namespaces.insert(n.name) }
    public mutating func delete(namespace n: Namespace) { namespaces.remove(n.name) }

    /// Applies one object of any kind the zone watches (for fixtures and generic feeds);
    /// false for other kinds.
    @discardableResult
    public mutating func upsert(any object: any KubeObject) -> Bool {
        switch object {
        case let s as Service: upsert(service: s)
        case let e as EndpointSlice: upsert(endpointSlice: e)
        case let p as Pod: upsert(pod: p)
        case let n as Namespace: upsert(namespace: n)
        default: return false
        }
        return true
    }
}
