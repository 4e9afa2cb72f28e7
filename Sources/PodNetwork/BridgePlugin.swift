#if canImport(Glibc)
import Glibc
#endif
import CNI
import IPAM
import NetAddr
import NetNS
import Netlink

/// `trellis-bridge`: pods on a Linux bridge, configured like the reference `bridge` plugin.
///
/// With `"ipam": {"type": "trellis-ipam"}` addresses are allocated in-process (same store and
/// results as the `trellis-ipam` binary); any other IPAM type is executed from CNI_PATH.
/// `"ipam": {}` gives an L2-only attachment.
public struct BridgePlugin: CNIPlugin {
    /// Whether DEL may hand the kernel's slow link-deletion tail to a forked child (see
    /// `RTNetlink.linkDelUnregistered`). Only a single-threaded plugin process may say yes.
    public var returnEarlyOnDelete: Bool

    public init(returnEarlyOnDelete: Bool = false) { self.returnEarlyOnDelete = returnEarlyOnDelete }

    public var about: String { "trellis-bridge: pods on a Linux bridge (Trellis)" }

    // MARK: ADD

    public func add(_ call: CNICall) throws(CNIError) -> CNIResult {
        let config = try BridgeConfig(json: call.stdin)
        let podNS = try openPodNetNS(call.netns)
        let attachment = try BridgeAttachment(podNetNS: podNS)
        // Fail before allocating anything when the pod already has the interface.
        if try kernel("get \(call.ifName)", { () throws(NetlinkError) in try attachment.pod.linkGet(named: call.ifName) }) != nil {
            throw CNIError(CNIError.interfaceExists, "interface \(call.ifName) already exists in \(call.netns)")
        }
        let ipamResult = try ipamAdd(call)
        do throws(CNIError) {
            let mac = try runtimeMAC(call)
            let plan: BridgeAttachmentPlan
            if let ipamResult {
                plan = try BridgeAttachmentPlan.make(config: config, containerID: call.containerID,
                                                     ifName: call.ifName, ipam: ipamResult, mac: mac)
            } else {
                plan = BridgeAttachmentPlan.layer2(config: config, containerID: call.containerID, ifName: call.ifName, mac: mac)
            }
            var result = try attachment.apply(plan)
            let owner = Self.owner(call)
            if !plan.masquerade.isEmpty {
                try nftables("ipMasq") { try PodMasquerade().add(addresses: plan.masquerade, network: call.config.name, owner: owner) }
            }
            if plan.spoofCheck, let mac = result.interfaces[2].mac.flatMap(MACAddress.init) {
                try nftables("macspoofchk") {
                    try MACSpoofCheck().add(hostInterface: plan.hostInterface, mac: mac, network: call.config.name, owner: owner)
                }
            }
            if !call.config.dns.isEmpty { result.dns = call.config.dns }
            result.cniVersion = call.config.cniVersion
            return result
        } catch {
            // Undo: nothing of a failed ADD may stay behind, the address least of all.
            try? teardown(call, config: config, podNS: podNS)
            throw error
        }
    }

    // MARK: DEL

    public func del(_ call: CNICall) throws(CNIError) {
        let config = try BridgeConfig(json: call.stdin)
        // A DEL must succeed when the pod's namespace is already gone.
        let podNS: NetNS? = call.netns.isEmpty ? nil : (try? NetNS.open(path: call.netns))
        try teardown(call, config: config, podNS: podNS)
    }

    /// Undoes an attachment. nftables entries are touched only when the network uses them
    /// (as the reference plugin does); GC collects entries left by a changed configuration.
    private func teardown(_ call: CNICall, config: BridgeConfig, podNS: NetNS?) throws(CNIError) {
        var firstError: CNIError?
        do { try ipamDel(call) } catch { firstError = error }
        let host = InterfaceName.hostVeth(containerID: call.containerID, ifName: call.ifName)
        do {
            try BridgeAttachment.remove(hostInterface: host, podInterface: call.ifName, podNetNS: podNS,
                                        returnEarly: returnEarlyOnDelete)
        }
        catch { firstError = firstError ?? error }
        let owner = Self.owner(call)
        do {
            if config.ipMasq { try nftables("ipMasq") { try PodMasquerade().remove(owner: owner) } }
            if config.macspoofchk { try nftables("macspoofchk") { try MACSpoofCheck().remove(owner: owner) } }
        } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    // MARK: CHECK

    public func check(_ call: CNICall) throws(CNIError) {
        let config = try BridgeConfig(json: call.stdin)
        guard let prev = call.config.prevResult else {
            throw CNIError(CNIError.invalidConfig, "CHECK needs prevResult")
        }
        try ipamCheck(call)
        let podNS = try openPodNetNS(call.netns)
        try BridgeCheck(bridge: config.bridge, containerID: call.containerID, ifName: call.ifName,
                        podNetNS: podNS).verify(prev)
    }

    // MARK: STATUS and GC

    /// 50 when addresses cannot be handed out (from IPAM); 51 when pods can be added but
    /// ipMasq has nowhere to send their traffic (no default route in the node).
    public func status(_ call: CNICall) throws(CNIError) {
        let config = try BridgeConfig(json: call.stdin)
        if let type = call.config.ipamType, !type.isEmpty {
            if type == "trellis-ipam" {
                try IPAMPlugin().status(config: IPAMConfig(networkConfig: call.stdin))
            } else {
                _ = try CNIExec.delegate(type: type, command: .status, call: call)
            }
        }
        if config.ipMasq {
            let node = try kernel("open netlink in node") { () throws(NetlinkError) in try RTNetlink() }
            let routes = try kernel("list routes") { () throws(NetlinkError) in try node.routeList() }
            if !routes.contains(where: \.isDefault) {
                throw CNIError(CNIError.limitedConnectivity, "no default route in the node",
                               details: "ipMasq is on but pods can reach only the node's local networks")
            }
        }
    }

    public func gc(_ call: CNICall) throws(CNIError) {
        let valid = call.config.validAttachments ?? []
        var firstError: CNIError?
        if let type = call.config.ipamType, !type.isEmpty {
            do throws(CNIError) {
                if type == "trellis-ipam" {
                    try IPAMPlugin().gc(config: IPAMConfig(networkConfig: call.stdin),
                                        validAttachments: valid.map { ContainerAttachment(containerID: $0.containerID, ifName: $0.ifName) })
                } else {
                    _ = try CNIExec.delegate(type: type, command: .gc, call: call)
                }
            } catch { firstError = error }
        }
        // Keep going past errors: collect what can be collected.
        let owners = Set(valid.map { "\($0.containerID)/\($0.ifName)" })
        let network = call.config.name
        do {
            try nftables("ipMasq GC") { try PodMasquerade().gc(network: network, validOwners: owners) }
            try nftables("macspoofchk GC") { try MACSpoofCheck().gc(network: network, validOwners: owners) }
        } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    // MARK: Helpers

    static func owner(_ call: CNICall) -> String { "\(call.containerID)/\(call.ifName)" }

    private func openPodNetNS(_ path: String) throws(CNIError) -> NetNS {
        do {
            return try NetNS.open(path: path)
        } catch {
            if error.errno == ENOENT {
                throw CNIError(CNIError.unknownContainer, "network namespace \(path) does not exist", details: "\(error)")
            }
            throw CNIError(CNIError.invalidEnvironment, "CNI_NETNS \(path) is not a network namespace", details: "\(error)")
        }
    }

    private func runtimeMAC(_ call: CNICall) throws(CNIError) -> MACAddress? {
        guard let text = call.config.runtimeConfig["mac"]?.stringValue else { return nil }
        guard let mac = MACAddress(text), !mac.isMulticast else {
            throw CNIError(CNIError.invalidConfig, "invalid runtimeConfig mac \"\(text)\"")
        }
        return mac
    }

    private func ipamAdd(_ call: CNICall) throws(CNIError) -> CNIResult? {
        guard let type = call.config.ipamType, !type.isEmpty else { return nil }
        if type == "trellis-ipam" {
            return try IPAMPlugin().add(config: call.stdin, containerID: call.containerID, ifName: call.ifName,
                                        args: call.args.pairs.map { ($0.key, $0.value) })
        }
        guard let result = try CNIExec.delegate(type: type, command: .add, call: call) else {
            throw CNIError(CNIError.delegateFailure, "IPAM plugin \(type) returned no result")
        }
        return result
    }

    private func ipamDel(_ call: CNICall) throws(CNIError) {
        guard let type = call.config.ipamType, !type.isEmpty else { return }
        if type == "trellis-ipam" {
            try IPAMPlugin().del(config: call.stdin, containerID: call.containerID, ifName: call.ifName,
                                 args: call.args.pairs.map { ($0.key, $0.value) })
        } else {
            _ = try CNIExec.delegate(type: type, command: .del, call: call)
        }
    }

    private func ipamCheck(_ call: CNICall) throws(CNIError) {
        guard let type = call.config.ipamType, !type.isEmpty else { return }
        if type == "trellis-ipam" {
            try IPAMPlugin().check(config: call.stdin, containerID: call.containerID, ifName: call.ifName,
                                   args: call.args.pairs.map { ($0.key, $0.value) })
        } else {
            _ = try CNIExec.delegate(type: type, command: .check, call: call)
        }
    }
}

/// Runs an nftables step, turning its error into a CNI error that names the step.
func nftables(_ step: String, _ body: () throws -> Void) throws(CNIError) {
    do { try body() } catch {
        throw CNIError(CNIError.kernelFailure, step + " failed", details: "\(error)")
    }
}
