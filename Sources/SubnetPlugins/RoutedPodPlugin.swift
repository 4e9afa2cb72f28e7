#if canImport(Glibc)
import Glibc
#endif
import CNI
import IPAM
import NetAddr
import NetNS
import Netlink
import PodNetwork

/// `trellis-bgp`: routed pods, no bridge (Calico-style). Each pod gets a /32 (and /128) on a
/// veth; the node routes that host prefix to the veth and answers for the pod's gateway:
///
/// - IPv4: the pod's default route is `via 169.254.1.1 dev eth0` (onlink); the node end has
///   `proxy_arp` on (with `proxy_delay` 0), so it answers ARP for that address itself.
/// - IPv6: the node end carries `fe80::1/64` (no DAD) and the pod's default route is via it,
///   so ordinary NDP resolves it; no proxy NDP entry per pod is needed.
///
/// The node's pod CIDR(s) come from the configuration or the subnet file as for
/// `trellis-hostgw`; `trellis routing` (hostgw, or BGP when it exists) carries them between nodes.
public struct RoutedPodPlugin: CNIPlugin {
    public var returnEarlyOnDelete: Bool
    public init(returnEarlyOnDelete: Bool = false) { self.returnEarlyOnDelete = returnEarlyOnDelete }
    public var about: String { "trellis-bgp: routed pods with host routes and proxy ARP (Trellis)" }

    static let gateway4 = IPAddress("169.254.1.1")!
    static let gateway6 = IPAddress("fe80::1")!

    public func add(_ call: CNICall) throws(CNIError) -> CNIResult {
        let (o, subnet) = try NodeSubnet.resolve(call, defaultMTU: nil)
        let delegated = try NodeSubnet.rebuild(call, JSONValue.object(o).encoded())
        let podNS: NetNS
        do { podNS = try NetNS.open(path: call.netns) } catch {
            throw CNIError(CNIError.unknownContainer, "cannot open network namespace \(call.netns)", details: "\(error)")
        }
        try NodeSubnet.saveState(call, delegated.stdin)
        let ipam = try IPAMPlugin().add(config: delegated.stdin, containerID: call.containerID, ifName: call.ifName,
                                        args: call.args.pairs.map { ($0.key, $0.value) })
        do throws(CNIError) {
            var result = try attach(call, podNS: podNS, addresses: ipam.ips.map(\.address.address), mtu: subnet.mtu)
            result.ips = ipam.ips.map {
                CNIResult.IPConfig(address: IPPrefix(host: $0.address.address),
                                   gateway: $0.address.family == .v4 ? Self.gateway4 : Self.gateway6, interface: 1)
            }
            result.cniVersion = call.config.cniVersion
            result.dns = call.config.dns
            return result
        } catch {
            try? teardown(delegated)
            throw error
        }
    }

    public func del(_ call: CNICall) throws(CNIError) {
        let delegated: CNICall
        if let saved = NodeSubnet.loadState(call) {
            delegated = try NodeSubnet.rebuild(call, saved)
        } else if let resolved = try? NodeSubnet.resolve(call, defaultMTU: nil) {
            delegated = try NodeSubnet.rebuild(call, JSONValue.object(resolved.0).encoded())
        } else {
            return
        }
        try teardown(delegated)
        NodeSubnet.removeState(call)
    }

    /// The pod interface exists with its addresses, and the node routes each to the veth.
    public func check(_ call: CNICall) throws(CNIError) {
        guard let prev = call.config.prevResult else { throw CNIError(CNIError.invalidConfig, "CHECK needs prevResult") }
        let delegated = try NodeSubnet.loadState(call).map { bytes throws(CNIError) in try NodeSubnet.rebuild(call, bytes) }
        if let delegated { try IPAMPlugin().check(config: delegated.stdin, containerID: call.containerID, ifName: call.ifName) }
        let podNS: NetNS
        do { podNS = try NetNS.open(path: call.netns) } catch {
            throw CNIError(CNIError.unknownContainer, "cannot open network namespace \(call.netns)", details: "\(error)")
        }
        let pod = try netlink("open netlink in pod") { () throws(NetlinkError) in try RTNetlink(in: podNS) }
        let node = try netlink("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        guard let link = try netlink("get \(call.ifName)", { () throws(NetlinkError) in try pod.linkGet(named: call.ifName) }) else {
            throw CNIError(CNIError.checkFailed, "interface \(call.ifName) missing in \(call.netns)")
        }
        let have = try netlink("list addresses") { () throws(NetlinkError) in try pod.addrList(family: nil, index: link.index) }.map(\.prefix.address)
        let routes = try netlink("list routes") { () throws(NetlinkError) in try node.routeList(family: nil, table: Route.mainTable) }
        for ip in prev.ips {
            guard have.contains(ip.address.address) else {
                throw CNIError(CNIError.checkFailed, "\(ip.address.address) missing on \(call.ifName)")
            }
            guard routes.contains(where: { $0.destination == IPPrefix(host: ip.address.address) }) else {
                throw CNIError(CNIError.checkFailed, "no host route for \(ip.address.address) in the node")
            }
        }
    }

    private func teardown(_ call: CNICall) throws(CNIError) {
        try IPAMPlugin().del(config: call.stdin, containerID: call.containerID, ifName: call.ifName)
        let node = try netlink("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        let host = InterfaceName.hostVeth(containerID: call.containerID, ifName: call.ifName)
        // Deleting the node end removes the pair and the host routes through it.
        if let link = try netlink("get \(host)", { () throws(NetlinkError) in try node.linkGet(named: host) }) {
            try netlink("delete \(host)") { () throws(NetlinkError) in
                do throws(NetlinkError) {
                    if returnEarlyOnDelete { try node.linkDelUnregistered(index: link.index) } else { try node.linkDel(index: link.index) }
                } catch where error.isNotFound {}
            }
        }
    }

    /// The veth, addresses and routes on both sides.
    private func attach(_ call: CNICall, podNS: NetNS, addresses: [IPAddress], mtu: Int?) throws(CNIError) -> CNIResult {
        let nodeNS: NetNS
        do { nodeNS = try NetNS.current() } catch { throw CNIError(CNIError.ioFailure, "cannot open the node's namespace", details: "\(error)") }
        let node = try netlink("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        let pod = try netlink("open netlink in pod") { () throws(NetlinkError) in try RTNetlink(in: podNS) }
        let host = InterfaceName.hostVeth(containerID: call.containerID, ifName: call.ifName)
        if try netlink("get \(call.ifName)", { () throws(NetlinkError) in try pod.linkGet(named: call.ifName) }) != nil {
            throw CNIError(CNIError.interfaceExists, "interface \(call.ifName) already exists in \(call.netns)")
        }
        try netlink("create veth \(call.ifName)") { () throws(NetlinkError) in
            try pod.linkAdd(.veth(name: call.ifName, mtu: mtu, peer: VethPeer(name: host, mtu: mtu, netns: nodeNS)))
        }
        guard let hostLink = try netlink("get \(host)", { () throws(NetlinkError) in try node.linkGet(named: host) }),
              let podLink = try netlink("get \(call.ifName)", { () throws(NetlinkError) in try pod.linkGet(named: call.ifName) }) else {
            throw CNIError(CNIError.kernelFailure, "veth \(call.ifName)/\(host) vanished after creation")
        }
        let hasV4 = addresses.contains { $0.isIPv4 }, hasV6 = addresses.contains { !$0.isIPv4 }
        // Node side: proxy ARP for the IPv4 gateway, fe80::1 for the IPv6 one, forwarding on.
        if hasV4 {
            try sysctl("/proc/sys/net/ipv4/conf/\(host)/proxy_arp", "1")
            try sysctl("/proc/sys/net/ipv4/neigh/\(host)/proxy_delay", "0")
            try sysctl("/proc/sys/net/ipv4/ip_forward", "1")
        }
        if hasV6 { try sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1") }
        try netlink("set up \(host)") { () throws(NetlinkError) in
            if hasV6 { try node.addrAdd(IPPrefix(address: Self.gateway6, length: 64), index: hostLink.index, noDAD: true, scope: .link) }
            try node.linkSetUp(index: hostLink.index)
        }
        // Pod side: host addresses, link up, the gateway routes.
        try netlink("configure \(call.ifName)") { () throws(NetlinkError) in
            for a in addresses { try pod.addrAdd(IPPrefix(host: a), index: podLink.index, noDAD: !a.isIPv4) }
            try pod.linkSetUp(index: podLink.index)
            if hasV4 {
                try pod.routeAdd(Route(destination: IPPrefix(host: Self.gateway4), outputIndex: podLink.index, scope: .link))
                try pod.routeAdd(Route(destination: IPPrefix("0.0.0.0/0")!, gateway: Self.gateway4, outputIndex: podLink.index))
            }
            if hasV6 {
                try pod.routeAdd(Route(destination: IPPrefix("::/0")!, gateway: Self.gateway6, outputIndex: podLink.index))
            }
        }
        // Node side: a host route per pod address through the veth.
        try netlink("route pod addresses") { () throws(NetlinkError) in
            for a in addresses {
                try node.routeReplace(Route(destination: IPPrefix(host: a), outputIndex: hostLink.index, scope: .link))
            }
        }
        let ready = try netlink("wait for \(host)") { () throws(NetlinkError) in
            try node.waitForLink(index: hostLink.index, timeout: .seconds(5)) { $0.hasCarrier && $0.isUp }
        }
        return CNIResult(interfaces: [CNIResult.Interface(name: host, mac: ready.mac?.description),
                                      CNIResult.Interface(name: call.ifName, mac: podLink.mac?.description, sandbox: call.netns)])
    }

    private func sysctl(_ path: String, _ value: String) throws(CNIError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CNIError(CNIError.ioFailure, "cannot open \(path)", details: String(cString: strerror(errno))) }
        defer { close(fd) }
        let ok = value.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) == $0.count - 1 }
        if !ok { throw CNIError(CNIError.ioFailure, "cannot write \(path)", details: String(cString: strerror(errno))) }
    }
}

/// Runs a netlink step, turning its error into a CNI error that names the step.
func netlink<T>(_ step: String, _ body: () throws(NetlinkError) -> T) throws(CNIError) -> T {
    do { return try body() } catch {
        throw CNIError(CNIError.kernelFailure, step + " failed", details: "\(error)")
    }
}
