import NetAddr

/// Computes the `RoutingPlan` of one node from its own facts and its peers'. Pure.
public enum RoutePlanner {
    /// Plans this node's routes, neighbours, FDB entries and VTEP.
    ///
    /// Throws when this node itself cannot take part (no pod CIDR, no underlay address);
    /// a peer that cannot be reached is a `problem` in the plan, never an error, so one bad
    /// peer does not stop routing to the others.
    public static func plan(config: RoutingConfig, uplink: Uplink, local: NodeInfo, vtepMAC: MACAddress,
                            peers: [NodeInfo]) throws(RoutingError) -> RoutingPlan {
        let object = "node \(local.name)"
        guard !local.podCIDRs.isEmpty else { throw RoutingError("plan", object, "no podCIDR in spec yet") }
        guard let underlayIP = local.publicIPs.first(where: { uplink.isOnLink($0) }) ?? local.publicIPs.first else {
            throw RoutingError("plan", object, "no InternalIP in status.addresses and no \(NodeAnnotation.publicIP) annotation")
        }
        let family = underlayIP.family
        var plan = RoutingPlan(mode: config.mode, localPodCIDRs: local.podCIDRs, podMTU: uplink.mtu)
        if config.mode.usesVXLAN {
            let mtu = uplink.mtu - RoutingConfig.vxlanOverhead(underlay: family)
            plan.vtep = VTEP(name: config.vtepName, vni: config.vni, port: config.port, mac: vtepMAC, local: underlayIP,
                             underlay: uplink.name, mtu: mtu,
                             addresses: local.podCIDRs.map { IPPrefix(host: NodeInfo.vtepAddress(for: $0)) })
            plan.podMTU = mtu
        }
        var routes: [PeerRoute] = [], neighbors: [PeerNeighbor] = [], fdb: [PeerFDB] = [], problems: [PeerProblem] = []
        for peer in peers.sorted(by: { $0.name < $1.name }) where peer.name != local.name {
            if peer.podCIDRs.isEmpty {
                problems.append(PeerProblem(node: peer.name, reason: "no podCIDR in spec yet"))
                continue
            }
            var tunnelled: [IPPrefix] = []
            for cidr in peer.podCIDRs {
                if let overlap = local.podCIDRs.first(where: { $0.overlaps(cidr) }) {
                    problems.append(PeerProblem(node: peer.name, reason: "podCIDR \(cidr) overlaps this node's \(overlap)"))
                    continue
                }
                switch direct(peer, cidr, uplink) {
                case .success(let gateway) where config.mode != .vxlan:
                    routes.append(PeerRoute(node: peer.name, destination: cidr, gateway: gateway, device: uplink.name, onLink: false))
                case .failure(let reason) where config.mode == .hostGW:
                    problems.append(PeerProblem(node: peer.name, reason: reason.description))
                default:
                    tunnelled.append(cidr)
                }
            }
            guard !tunnelled.isEmpty, let vtep = plan.vtep else { continue }
            guard let mac = peer.vtepMAC else {
                problems.append(PeerProblem(node: peer.name, reason: "no \(NodeAnnotation.vtepMAC) annotation yet (its routing daemon has not started)"))
                continue
            }
            guard let remote = peer.publicIP(family) else {
                problems.append(PeerProblem(node: peer.name, reason: "no \(family) underlay address for VXLAN (InternalIP or \(NodeAnnotation.publicIP) annotation)"))
                continue
            }
            fdb.append(PeerFDB(node: peer.name, mac: mac, destination: remote, device: vtep.name))
            for cidr in tunnelled {
                let gateway = NodeInfo.vtepAddress(for: cidr)
                neighbors.append(PeerNeighbor(node: peer.name, address: gateway, mac: mac, device: vtep.name))
                routes.append(PeerRoute(node: peer.name, destination: cidr, gateway: gateway, device: vtep.name, onLink: true))
            }
        }
        plan.routes = routes.sorted()
        plan.neighbors = neighbors.sorted()
        plan.fdb = fdb.sorted()
        plan.problems = problems.sorted()
        return plan
    }

    /// The peer's node IP for a direct route to `cidr`, or why there is none.
    private static func direct(_ peer: NodeInfo, _ cidr: IPPrefix, _ uplink: Uplink) -> Result<IPAddress, DirectRouteFailure> {
        guard let ip = peer.publicIP(cidr.family) else {
            return .failure(DirectRouteFailure("has no \(cidr.family) node address for podCIDR \(cidr)"))
        }
        guard uplink.isOnLink(ip) else {
            let subnets = uplink.addresses.filter { $0.family == ip.family }.map { "\($0.network)" }
            let here = subnets.isEmpty ? "no \(ip.family) subnet" : subnets.joined(separator: ", ")
            return .failure(DirectRouteFailure("node IP \(ip) is not on-link on \(uplink.name) (\(here)): host-gw needs every node on one L2 segment; use --mode hybrid or vxlan"))
        }
        return .success(ip)
    }
}

struct DirectRouteFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
