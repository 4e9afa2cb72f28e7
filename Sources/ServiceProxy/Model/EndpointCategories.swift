import KubeAPI
import NetAddr

/// One endpoint of a Service port after merging its EndpointSlices, with the conditions
/// defaulted the way the API documents them: nil ready/serving = true, nil terminating = false.
struct EndpointInfo: Hashable, Sendable {
    var endpoint: PlanEndpoint
    var ready: Bool
    var serving: Bool
    var terminating: Bool
    var zoneHints: Set<String>
    var nodeHints: Set<String>

    var isLocal: Bool { endpoint.isLocal }
    /// Serving while terminating: the fallback when nothing is ready (KEP-1669).
    var isFallback: Bool { serving && terminating }
}

/// kube-proxy's endpoint categories for one Service port (pkg/proxy/topology.go).
struct EndpointCategories: Equatable {
    /// Cluster-wide endpoints: the ready ones (topology applied), else serving+terminating.
    var cluster: [PlanEndpoint]
    /// Local endpoints: ready local ones, else serving+terminating local ones.
    var local: [PlanEndpoint]
    /// Any ready or serving+terminating endpoint anywhere.
    var hasAny: Bool

    init(_ endpoints: [EndpointInfo], topology: TopologyContext?) {
        let ready = endpoints.filter(\.ready)
        if ready.isEmpty {
            cluster = endpoints.filter(\.isFallback).map(\.endpoint)
        } else {
            cluster = (topology?.filter(ready) ?? ready).map(\.endpoint)
        }
        let readyLocal = ready.filter(\.isLocal)
        local = (readyLocal.isEmpty ? endpoints.filter { $0.isLocal && $0.isFallback } : readyLocal).map(\.endpoint)
        hasAny = !cluster.isEmpty
    }
}

/// Topology-aware routing (hints, `trafficDistribution`): which ready endpoints to keep.
struct TopologyContext {
    var nodeName: String
    var zone: String?
    var preferSameNode: Bool

    /// nil when the Service does not ask for topology-aware routing.
    init?(service: ServiceSpec, annotations: [String: String]?, nodeName: String, zone: String?) {
        let distribution = service.trafficDistribution ?? ""
        let mode = annotations?["service.kubernetes.io/topology-mode"]
            ?? annotations?["service.kubernetes.io/topology-aware-hints"] ?? ""
        guard ["PreferClose", "PreferSameZone", "PreferSameNode"].contains(distribution)
                || ["Auto", "auto"].contains(mode) else { return nil }
        self.nodeName = nodeName
        self.zone = zone
        self.preferSameNode = distribution == "PreferSameNode"
    }

    /// Hints are used only when EVERY ready endpoint carries them and some are for us;
    /// otherwise all ready endpoints are kept (kube-proxy's `canUseTopology`).
    func filter(_ ready: [EndpointInfo]) -> [EndpointInfo] {
        if preferSameNode, ready.allSatisfy({ !$0.nodeHints.isEmpty }) {
            let mine = ready.filter { $0.nodeHints.contains(nodeName) }
            if !mine.isEmpty { return mine }
        }
        guard let zone, ready.allSatisfy({ !$0.zoneHints.isEmpty }) else { return ready }
        let mine = ready.filter { $0.zoneHints.contains(zone) }
        return mine.isEmpty ? ready : mine
    }
}

extension EndpointInfo {
    /// The endpoints of one Service port, from all of the Service's slices of `family`:
    /// slice ports are matched by name and protocol; an address seen in several slices counts once.
    static func merge(_ slices: [EndpointSlice], portName: String, proto: TransportProtocol,
                      family: IPFamily, nodeName: String) -> [EndpointInfo] {
        let addressType = family == .v4 ? "IPv4" : "IPv6"
        var seen = Set<PlanEndpoint>()
        var out: [EndpointInfo] = []
        for slice in slices where slice.addressType == addressType {
            guard let sp = slice.ports?.first(where: {
                ($0.name ?? "") == portName && TransportProtocol(kubernetes: $0.protocol) == proto
            }), let p = sp.port, (1...65535).contains(p) else { continue }
            for ep in slice.endpoints ?? [] {
                // kube-proxy uses the first address only (the API says they are fungible).
                guard let text = ep.addresses.first, let addr = IPAddress(text), addr.family == family else { continue }
                let pe = PlanEndpoint(addr, UInt16(p), isLocal: ep.nodeName != nil && ep.nodeName == nodeName)
                guard seen.insert(pe).inserted else { continue }
                let ready = ep.conditions?.ready ?? true
                out.append(EndpointInfo(
                    endpoint: pe, ready: ready, serving: ep.conditions?.serving ?? true,
                    terminating: ep.conditions?.terminating ?? false,
                    zoneHints: Set(ep.hints?.forZones?.map(\.name) ?? []),
                    nodeHints: Set(ep.hints?.forNodes?.map(\.name) ?? [])))
            }
        }
        return out.sorted { $0.endpoint < $1.endpoint }
    }
}
