import CNI
import FoundationEssentials
import NetAddr
import PodNetwork

/// `trellis-hostgw` and `trellis-vxlan`: pods on a bridge whose subnet is this node's pod
/// CIDR(s), with the bridge as their default gateway. Node-to-node forwarding is the job of
/// `trellis routing`; the plugins only attach pods.
///
/// Keys (besides the bridge plugin's, which pass through): `subnetFile` (default
/// `/run/trellis/subnet.env`), `podCIDRs` (overrides the file), `mtu` (default: the file's),
/// `stateDir` (where ADD keeps the delegated configuration for DEL, default
/// `/var/lib/cni/trellis-subnet`). The `ipam` section defaults to `trellis-ipam` with one
/// range set per pod CIDR; given ranges are kept.
///
/// Like flannel's plugin, ADD delegates to the bridge plugin with a generated configuration
/// (here in-process) and saves it, so DEL works after the node's subnet file is gone.
public struct SubnetBridgePlugin: CNIPlugin {
    public enum Flavor: String, Sendable { case hostGW = "trellis-hostgw", vxlan = "trellis-vxlan" }
    public var flavor: Flavor
    public var returnEarlyOnDelete: Bool

    public init(_ flavor: Flavor, returnEarlyOnDelete: Bool = false) {
        self.flavor = flavor
        self.returnEarlyOnDelete = returnEarlyOnDelete
    }

    public var about: String { "\(flavor.rawValue): pods on a bridge over this node's pod CIDR (Trellis)" }
    private var bridge: BridgePlugin { BridgePlugin(returnEarlyOnDelete: returnEarlyOnDelete) }

    public func add(_ call: CNICall) throws(CNIError) -> CNIResult {
        let delegated = try delegate(call)
        try NodeSubnet.saveState(call, delegated.stdin)
        do { return try bridge.add(delegated) } catch {
            NodeSubnet.removeState(call)
            throw error
        }
    }

    public func del(_ call: CNICall) throws(CNIError) {
        let delegated: CNICall
        if let saved = NodeSubnet.loadState(call) {
            delegated = try NodeSubnet.rebuild(call, saved)
        } else if let fresh = try? delegate(call) {
            delegated = fresh
        } else {
            // Neither saved state nor a subnet: the pod was never added here. Nothing to do.
            return
        }
        try bridge.del(delegated)
        NodeSubnet.removeState(call)
    }

    public func check(_ call: CNICall) throws(CNIError) {
        if let saved = NodeSubnet.loadState(call) {
            try bridge.check(try NodeSubnet.rebuild(call, saved))
        } else {
            try bridge.check(try delegate(call))
        }
    }

    public func status(_ call: CNICall) throws(CNIError) {
        _ = try delegate(call)
    }

    // MARK: Delegated configuration

    /// The bridge plugin's configuration for this node: the given keys plus bridge defaults,
    /// MTU and IPAM ranges from the pod CIDRs.
    func delegate(_ call: CNICall) throws(CNIError) -> CNICall {
        let (resolved, subnet) = try NodeSubnet.resolve(call, defaultMTU: flavor == .vxlan ? 1450 : nil)
        var o = resolved
        o["type"] = .string(flavor.rawValue)
        if o["bridge"] == nil { o["bridge"] = "trellis0" }
        if o["isGateway"] == nil { o["isGateway"] = true }
        if o["isDefaultGateway"] == nil { o["isDefaultGateway"] = true }
        if o["hairpinMode"] == nil { o["hairpinMode"] = true }
        if o["mtu"] == nil, let mtu = subnet.mtu { o["mtu"] = .number(Double(mtu)) }
        return try NodeSubnet.rebuild(call, JSONValue.object(o).encoded())
    }

}
