import CNI
import NetAddr

/// Everything one bridge attachment changes, computed from the configuration and the IPAM
/// result before any kernel call. Applying it is `BridgeAttachment.apply`.
public struct BridgeAttachmentPlan: Equatable, Sendable, CustomStringConvertible {
    public var bridge: String
    public var bridgeMTU: Int?
    public var bridgePromisc: Bool
    public var vlanFiltering: Bool
    public var hostInterface: String
    public var podInterface: String
    public var podMAC: MACAddress?
    public var mtu: Int?
    public var hairpin: Bool
    public var vlan: Int?
    /// Addresses on the pod interface, host bits kept (`10.1.0.5/24`).
    public var podAddresses: [IPPrefix]
    /// Routes in the pod, each with its gateway resolved.
    public var podRoutes: [CNIResult.Route]
    /// Gateway addresses to put on the bridge (isGateway).
    public var gatewayAddresses: [IPPrefix]
    public var forceAddress: Bool
    /// Pod addresses whose traffic leaving their subnet is masqueraded (ipMasq).
    public var masquerade: [IPPrefix]
    public var spoofCheck: Bool
    /// Duplicate address detection off for the pod's IPv6 addresses (enabledad false).
    public var disableDAD: Bool
    /// Families whose forwarding sysctl is turned on in the node (isGateway).
    public var forwarding: [IPFamily]
    /// The IPAM result with gateways and default routes filled in, as ADD returns it.
    public var result: CNIResult

    /// Plans an attachment. Fails with code 7 when the IPAM result gave no address.
    public static func make(config: BridgeConfig, containerID: String, ifName: String,
                            ipam: CNIResult, mac: MACAddress? = nil) throws(CNIError) -> BridgeAttachmentPlan {
        guard !ipam.ips.isEmpty else {
            throw CNIError(CNIError.invalidConfig, "IPAM plugin returned no IP configuration")
        }
        var result = ipam
        var gateways: [IPPrefix] = []
        var defaultGateway: [IPFamily: IPAddress] = [:]
        for i in result.ips.indices {
            let subnet = result.ips[i].address.network
            if result.ips[i].gateway == nil && config.actsAsGateway {
                // As the reference plugin: the first address of the subnet.
                result.ips[i].gateway = subnet.address.advanced(by: 1)
            }
            result.ips[i].interface = 2
            guard let gw = result.ips[i].gateway else { continue }
            if config.actsAsGateway {
                let onBridge = IPPrefix(address: gw, length: subnet.length)
                if !gateways.contains(onBridge) { gateways.append(onBridge) }
            }
            if defaultGateway[gw.family] == nil { defaultGateway[gw.family] = gw }
        }
        if config.isDefaultGateway {
            for family in [IPFamily.v4, .v6] {
                guard let gw = defaultGateway[family] else { continue }
                let any = IPPrefix(address: IPAddress(family: family, integer: 0), length: 0)
                if let i = result.routes.firstIndex(where: { $0.dst == any }) {
                    if result.routes[i].gw == nil { result.routes[i].gw = gw }
                } else {
                    result.routes.append(CNIResult.Route(dst: any, gw: gw))
                }
            }
        }
        // Routes without a gateway use the gateway of their family, as the reference does.
        let podRoutes = result.routes.map { r -> CNIResult.Route in
            var r = r
            if r.gw == nil { r.gw = defaultGateway[r.dst.family] }
            return r
        }
        let host = InterfaceName.hostVeth(containerID: containerID, ifName: ifName)
        result.interfaces = [
            CNIResult.Interface(name: config.bridge),
            CNIResult.Interface(name: host),
            CNIResult.Interface(name: ifName, mac: mac?.description),
        ]
        return BridgeAttachmentPlan(
            bridge: config.bridge, bridgeMTU: config.mtu, bridgePromisc: config.promiscMode,
            vlanFiltering: config.vlan != nil, hostInterface: host, podInterface: ifName, podMAC: mac,
            mtu: config.mtu, hairpin: config.hairpinMode, vlan: config.vlan,
            podAddresses: result.ips.map(\.address), podRoutes: podRoutes,
            gatewayAddresses: gateways, forceAddress: config.forceAddress,
            masquerade: config.ipMasq ? result.ips.map(\.address) : [],
            spoofCheck: config.macspoofchk, disableDAD: !config.enabledad,
            forwarding: config.actsAsGateway ? Array(Set(gateways.map(\.family))).sorted { $0.rawValue < $1.rawValue } : [],
            result: result)
    }

    /// One line per fact, in a fixed order, for golden tests and `--dump`.
    public var description: String {
        var lines: [String] = []
        var b = "bridge \(bridge)"
        if let bridgeMTU { b += " mtu \(bridgeMTU)" }
        if bridgePromisc { b += " promisc" }
        if vlanFiltering { b += " vlan_filtering" }
        lines.append(b)
        for g in gatewayAddresses { lines.append("bridge address \(g)\(forceAddress ? " force" : "")") }
        var v = "veth \(podInterface) (pod) <-> \(hostInterface) (node) master \(bridge)"
        if let mtu { v += " mtu \(mtu)" }
        if let podMAC { v += " mac \(podMAC)" }
        if hairpin { v += " hairpin" }
        if let vlan { v += " vlan \(vlan) pvid untagged" }
        lines.append(v)
        for a in podAddresses {
            lines.append("pod address \(a)\(disableDAD && a.family == .v6 ? " nodad" : "")")
        }
        for r in podRoutes {
            lines.append("pod route \(r.dst)" + (r.gw.map { " via \($0)" } ?? "") + " dev \(podInterface)")
        }
        for m in masquerade { lines.append("masquerade \(m.address) except \(m.network)") }
        if spoofCheck { lines.append("spoofcheck \(hostInterface)") }
        for f in forwarding { lines.append("forwarding \(f)") }
        return lines.joined(separator: "\n")
    }
}
