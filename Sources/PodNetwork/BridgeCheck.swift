import CNI
import NetAddr
import NetNS
import Netlink

/// CHECK for a bridge attachment: what ADD reported (`prevResult`) is still in the kernel.
struct BridgeCheck {
    let bridge: String
    let containerID: String
    let ifName: String
    let podNetNS: NetNS

    func verify(_ prev: CNIResult) throws(CNIError) {
        let node = try kernel("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        let pod = try kernel("open netlink in \(podNetNS.path)") { () throws(NetlinkError) in try RTNetlink(in: podNetNS) }
        guard let br = try kernel("get \(bridge)", { () throws(NetlinkError) in try node.linkGet(named: bridge) }),
              br.kind == "bridge" else {
            throw failed("bridge \(bridge) is missing")
        }
        let host = InterfaceName.hostVeth(containerID: containerID, ifName: ifName)
        guard let hostLink = try kernel("get \(host)", { () throws(NetlinkError) in try node.linkGet(named: host) }) else {
            throw failed("host interface \(host) is missing")
        }
        guard hostLink.masterIndex == br.index else { throw failed("\(host) is not attached to \(bridge)") }
        guard let podLink = try kernel("get \(ifName)", { () throws(NetlinkError) in try pod.linkGet(named: ifName) }) else {
            throw failed("interface \(ifName) is missing in \(podNetNS.path)")
        }
        guard podLink.isUp else { throw failed("interface \(ifName) is down") }
        if let mac = prev.interfaces.first(where: { $0.sandbox != nil && $0.name == ifName })?.mac,
           MACAddress(mac) != podLink.mac {
            throw failed("\(ifName) has MAC \(podLink.mac?.description ?? "none"), ADD reported \(mac)")
        }
        let addresses = try kernel("list addresses of \(ifName)") { () throws(NetlinkError) in
            try pod.addrList(index: podLink.index)
        }.map(\.prefix)
        for ip in prev.ips where !addresses.contains(ip.address) {
            throw failed("address \(ip.address) is missing on \(ifName)")
        }
        var routes: [Route] = []
        for family in Set(prev.routes.map(\.dst.family)) {
            routes += try kernel("list routes") { () throws(NetlinkError) in try pod.routeList(family: family) }
        }
        for r in prev.routes {
            let found = routes.contains {
                $0.destination.network == r.dst.network && $0.outputIndex == podLink.index
                    && (r.gw == nil || $0.gateway == r.gw)
            }
            if !found { throw failed("route \(r.dst)\(r.gw.map { " via \($0)" } ?? "") is missing in the pod") }
        }
    }

    private func failed(_ msg: String) -> CNIError { CNIError(CNIError.checkFailed, msg) }
}

extension BridgeAttachmentPlan {
    /// An L2-only attachment (`"ipam": {}`): bridge and veth, no addresses.
    static func layer2(config: BridgeConfig, containerID: String, ifName: String, mac: MACAddress?) -> BridgeAttachmentPlan {
        let host = InterfaceName.hostVeth(containerID: containerID, ifName: ifName)
        return BridgeAttachmentPlan(
            bridge: config.bridge, bridgeMTU: config.mtu, bridgePromisc: config.promiscMode,
            vlanFiltering: config.vlan != nil, hostInterface: host, podInterface: ifName, podMAC: mac,
            mtu: config.mtu, hairpin: config.hairpinMode, vlan: config.vlan, podAddresses: [], podRoutes: [],
            gatewayAddresses: [], forceAddress: config.forceAddress, masquerade: [], spoofCheck: config.macspoofchk,
            disableDAD: !config.enabledad, forwarding: [],
            result: CNIResult(interfaces: [CNIResult.Interface(name: config.bridge), CNIResult.Interface(name: host),
                                           CNIResult.Interface(name: ifName)]))
    }
}
