#if canImport(Glibc)
import Glibc
#endif
import CNI
import NetAddr
import NetNS
import Netlink

/// Applies, checks and removes a `BridgeAttachmentPlan` in the kernel: the node side through
/// a netlink socket in the caller's namespace, the pod side through one opened inside the pod.
struct BridgeAttachment {
    let node: RTNetlink
    let pod: RTNetlink
    let podNetNS: NetNS
    let nodeNetNS: NetNS

    /// Links are ready when the host end has carrier, at most this long after creation.
    static let readyTimeout: Duration = .seconds(5)

    init(podNetNS: NetNS) throws(CNIError) {
        self.podNetNS = podNetNS
        do {
            nodeNetNS = try NetNS.current()
        } catch {
            throw CNIError(CNIError.ioFailure, "cannot open the node's network namespace", details: "\(error)")
        }
        node = try kernel("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        pod = try kernel("open netlink in \(podNetNS.path)") { () throws(NetlinkError) in try RTNetlink(in: podNetNS) }
    }

    /// Creates everything in `plan` and returns the final result (MACs filled in).
    func apply(_ plan: BridgeAttachmentPlan) throws(CNIError) -> CNIResult {
        let bridge = try ensureBridge(plan)
        let hostLink = try createVeth(plan, bridgeIndex: bridge.index)
        let podLink = try configurePod(plan)
        for gateway in plan.gatewayAddresses {
            try ensureAddress(gateway, on: bridge, force: plan.forceAddress)
        }
        for family in plan.forwarding { try enableForwarding(family) }
        // Ready when the host end carries traffic (its peer is up): wait on link events.
        let ready = try kernel("wait for \(plan.hostInterface)") { () throws(NetlinkError) in
            try node.waitForLink(index: hostLink.index, timeout: Self.readyTimeout) { $0.hasCarrier && $0.isUp }
        }
        var result = plan.result
        let bridgeNow = try kernel("get \(plan.bridge)") { () throws(NetlinkError) in try node.linkGet(index: bridge.index) } ?? bridge
        result.interfaces = [
            CNIResult.Interface(name: plan.bridge, mac: bridgeNow.mac?.description),
            CNIResult.Interface(name: plan.hostInterface, mac: ready.mac?.description),
            CNIResult.Interface(name: plan.podInterface, mac: podLink.mac?.description, sandbox: podNetNS.path),
        ]
        return result
    }

    /// `ip link add NAME type bridge` unless it exists; fails if NAME is something else.
    private func ensureBridge(_ plan: BridgeAttachmentPlan) throws(CNIError) -> Link {
        var link = try kernel("get \(plan.bridge)") { () throws(NetlinkError) in try node.linkGet(named: plan.bridge) }
        if link == nil {
            do {
                try node.linkAdd(.bridge(name: plan.bridge, mtu: plan.bridgeMTU,
                                         vlanFiltering: plan.vlanFiltering ? true : nil))
                link = try node.linkGet(named: plan.bridge)
                // Pin the bridge MAC so it does not follow the lowest port MAC as pods churn.
                if let l = link, let mac = l.mac { try node.linkSetMAC(index: l.index, mac) }
            } catch where error.isExists {
                // Another ADD created it first.
                link = try kernel("get \(plan.bridge)") { () throws(NetlinkError) in try node.linkGet(named: plan.bridge) }
            } catch {
                throw CNIError(CNIError.kernelFailure, "could not create bridge \(plan.bridge)", details: "\(error)")
            }
        }
        guard var bridge = link else {
            throw CNIError(CNIError.kernelFailure, "bridge \(plan.bridge) vanished while being set up")
        }
        guard bridge.kind == "bridge" else {
            throw CNIError(CNIError.kernelFailure, "\"\(plan.bridge)\" already exists but is not a bridge",
                           details: "it is a \(bridge.kind ?? "device of unknown kind")")
        }
        if plan.bridgePromisc && !bridge.isPromisc {
            try kernel("set \(plan.bridge) promisc on") { () throws(NetlinkError) in try node.linkSetPromisc(index: bridge.index, true) }
        }
        if !bridge.isUp {
            try kernel("set \(plan.bridge) up") { () throws(NetlinkError) in try node.linkSetUp(index: bridge.index) }
            bridge.flags |= 1
        }
        return bridge
    }

    /// Creates the veth inside the pod with its peer directly in the node, then attaches the
    /// node end to the bridge.
    private func createVeth(_ plan: BridgeAttachmentPlan, bridgeIndex: Int) throws(CNIError) -> Link {
        let spec = LinkSpec.veth(name: plan.podInterface, mtu: plan.mtu, mac: plan.podMAC,
                                 peer: VethPeer(name: plan.hostInterface, mtu: plan.mtu, netns: nodeNetNS))
        do {
            try pod.linkAdd(spec)
        } catch where error.isExists {
            // A host end left over by a crashed ADD of this same attachment: its name is ours.
            if try kernel("get \(plan.podInterface)", { () throws(NetlinkError) in try pod.linkGet(named: plan.podInterface) }) != nil {
                throw CNIError(CNIError.interfaceExists, "interface \(plan.podInterface) already exists in \(podNetNS.path)")
            }
            try kernel("delete stale \(plan.hostInterface)") { () throws(NetlinkError) in try node.linkDel(named: plan.hostInterface) }
            try kernel("create veth \(plan.podInterface)") { () throws(NetlinkError) in try pod.linkAdd(spec) }
        } catch {
            throw CNIError(CNIError.kernelFailure, "could not create veth \(plan.podInterface)", details: "\(error)")
        }
        let host = plan.hostInterface
        guard let link = try kernel("get \(host)", { () throws(NetlinkError) in try node.linkGet(named: host) }) else {
            throw CNIError(CNIError.kernelFailure, "veth peer \(host) did not appear in the node")
        }
        try kernel("attach \(host) to \(plan.bridge)") { () throws(NetlinkError) in
            try node.linkSetMaster(index: link.index, masterIndex: bridgeIndex)
            if plan.hairpin { try node.linkSetHairpin(index: link.index, true) }
            if let vlan = plan.vlan {
                try node.bridgeVlanAdd(index: link.index, vid: UInt16(vlan), pvid: true, untagged: true)
            }
            try node.linkSetUp(index: link.index)
        }
        return link
    }

    /// Addresses, link up, then routes (a gateway is reachable only once the link is up).
    private func configurePod(_ plan: BridgeAttachmentPlan) throws(CNIError) -> Link {
        let name = plan.podInterface
        guard let link = try kernel("get \(name)", { () throws(NetlinkError) in try pod.linkGet(named: name) }) else {
            throw CNIError(CNIError.kernelFailure, "interface \(name) missing in \(podNetNS.path) after creation")
        }
        for a in plan.podAddresses {
            try kernel("add \(a) to \(name)") { () throws(NetlinkError) in
                try pod.addrAdd(a, index: link.index, noDAD: plan.disableDAD && a.family == .v6)
            }
        }
        try kernel("set \(name) up") { () throws(NetlinkError) in try pod.linkSetUp(index: link.index) }
        for r in plan.podRoutes {
            let route = Route(destination: r.dst.network, gateway: r.gw, outputIndex: link.index,
                              metric: r.priority.map(UInt32.init), mtu: r.mtu.map(UInt32.init))
            try kernel("add route \(r.dst) in pod") { () throws(NetlinkError) in
                try ignoring(\.isExists) { () throws(NetlinkError) in try pod.routeAdd(route) }
            }
        }
        if !plan.disableDAD {
            // DAD on: return only once the IPv6 addresses are usable, as the runtime expects.
            for a in plan.podAddresses where a.family == .v6 {
                _ = try kernel("DAD for \(a)") { () throws(NetlinkError) in
                    try pod.waitForAddressReady(a.address, index: link.index, timeout: .seconds(10))
                }
            }
        }
        return link
    }

    /// Puts a gateway address on the bridge. As the reference plugin: IPv4 allows one address
    /// per bridge, IPv6 one per non-overlapping subnet; a conflicting one is replaced only with
    /// forceAddress.
    private func ensureAddress(_ gateway: IPPrefix, on bridge: Link, force: Bool) throws(CNIError) {
        let existing = try kernel("list \(bridge.name) addresses") { () throws(NetlinkError) in
            try node.addrList(family: gateway.family, index: bridge.index)
        }.filter { !($0.prefix.family == .v6 && $0.prefix.address.isLinkLocalV6) }
        for a in existing {
            if a.prefix == gateway { return }
            if gateway.family == .v4 || a.prefix.overlaps(gateway) {
                guard force else {
                    throw CNIError(CNIError.kernelFailure,
                                   "\"\(bridge.name)\" already has an IP address different from \(gateway)",
                                   details: "it has \(a.prefix); set forceAddress to replace it")
                }
                try kernel("remove \(a.prefix) from \(bridge.name)") { () throws(NetlinkError) in
                    try ignoring(\.isNotFound) { () throws(NetlinkError) in try node.addrDel(a.prefix, index: bridge.index) }
                }
            }
        }
        // No DAD for the gateway: the address is ours by configuration, and a tentative
        // gateway would leave the first pod without IPv6 for about a second.
        try kernel("add \(gateway) to \(bridge.name)") { () throws(NetlinkError) in
            try ignoring(\.isExists) { () throws(NetlinkError) in
                try node.addrAdd(gateway, index: bridge.index, noDAD: gateway.family == .v6)
            }
        }
    }

    /// Removes the attachment's veth pair (deleting one end removes both). Idempotent: a
    /// missing interface is fine. Prefers the host end, whose name is derived from the
    /// attachment, so no pod namespace is needed; falls back to the pod's interface.
    ///
    /// With `returnEarly` the call returns once the kernel has unregistered the link instead
    /// of waiting for its memory reclamation (see `RTNetlink.linkDelUnregistered`); only for
    /// single-threaded processes.
    static func remove(hostInterface: String, podInterface: String, podNetNS: NetNS?,
                       returnEarly: Bool) throws(CNIError) {
        func delete(_ nl: RTNetlink, _ link: Link) throws(CNIError) {
            try kernel("delete \(link.name)") { () throws(NetlinkError) in
                try ignoring(\.isNotFound) { () throws(NetlinkError) in
                    if returnEarly { try nl.linkDelUnregistered(index: link.index) } else { try nl.linkDel(index: link.index) }
                }
            }
        }
        let node = try kernel("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
        if let host = try kernel("get \(hostInterface)", { () throws(NetlinkError) in try node.linkGet(named: hostInterface) }) {
            try delete(node, host)
            return
        }
        guard let podNetNS else { return }
        let pod = try kernel("open netlink in \(podNetNS.path)") { () throws(NetlinkError) in try RTNetlink(in: podNetNS) }
        if let link = try kernel("get \(podInterface)", { () throws(NetlinkError) in try pod.linkGet(named: podInterface) }) {
            try delete(pod, link)
        }
    }
}

/// Turns on forwarding for a family in the caller's namespace, writing only if needed.
func enableForwarding(_ family: IPFamily) throws(CNIError) {
    let path = family == .v4 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding"
    let fd = open(path, O_RDWR | O_CLOEXEC)
    guard fd >= 0 else { throw CNIError(CNIError.ioFailure, "cannot open \(path)", details: String(cString: strerror(errno))) }
    defer { close(fd) }
    var current: UInt8 = 0
    if read(fd, &current, 1) == 1 && current == UInt8(ascii: "1") { return }
    var one = UInt8(ascii: "1")
    guard pwrite(fd, &one, 1, 0) == 1 else {
        throw CNIError(CNIError.ioFailure, "cannot enable forwarding in \(path)", details: String(cString: strerror(errno)))
    }
}

/// Runs a netlink step, turning its error into a CNI error that names the step.
@discardableResult
func kernel<T>(_ step: String, _ body: () throws(NetlinkError) -> T) throws(CNIError) -> T {
    do { return try body() } catch {
        throw CNIError(CNIError.kernelFailure, step + " failed", details: "\(error)")
    }
}

/// Runs a netlink call, treating errors that match `expected` (already there, already gone)
/// as success.
func ignoring(_ expected: (NetlinkError) -> Bool, _ body: () throws(NetlinkError) -> Void) throws(NetlinkError) {
    do { try body() } catch { if !expected(error) { throw error } }
}

extension IPAddress {
    var isLinkLocalV6: Bool { if case .v6(let a) = self { a.isLinkLocal } else { false } }
}
