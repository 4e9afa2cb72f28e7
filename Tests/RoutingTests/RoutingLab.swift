import Foundation
import KubeAPI
import NetAddr
import NetNS
import Netlink
import Routing
import SubnetPlugins
import TestSupport

/// A LAN of simulated nodes for real-kernel tests.
///
/// `lan` holds two bridges: `br0` (10.50.0.0/24, fd50::/64) and `br1` (10.51.0.0/24, fd51::/64),
/// joined by a `router` namespace. Node `i` is a namespace whose `eth0` sits on br0 (or br1
/// when `far`), with node IP 10.5x.0.(10+i), pod CIDRs 10.244.i.0/24 and fd10:244:i::/64, its own
/// `NodeRouter` (in-process, on a netlink socket opened in the node) and pods made by the real
/// plugin binaries. Everything is removed when the lab goes away, even after a failure:
/// pods first, then nodes, router and LAN. The host namespace is never touched.
final class RoutingLab: @unchecked Sendable {
    let lan: ScratchNamespace
    let router: ScratchNamespace
    let data: ScratchDirectory
    let mode: RoutingMode
    private(set) var nodes: [LabNode] = []
    private(set) var pods: [ScratchNamespace] = []

    final class LabNode: @unchecked Sendable {
        let number: Int
        let far: Bool
        let ns: ScratchNamespace
        let kernel: RTNetlink
        var routing: NodeRouter!
        var object: Node
        var subnetFile: String
        init(number: Int, far: Bool, ns: ScratchNamespace, object: Node, subnetFile: String) throws {
            self.number = number
            self.far = far
            self.ns = ns
            self.kernel = try RTNetlink(in: ns.netns)
            self.object = object
            self.subnetFile = subnetFile
        }
        var name: String { "node\(number)" }
        var ip: String { "10.\(far ? 51 : 50).0.\(10 + number)" }
        var ip6: String { "fd\(far ? 51 : 50)::\(10 + number)" }
    }

    init(mode: RoutingMode) throws {
        self.mode = mode
        lan = try ScratchNamespace("tlan")
        router = try ScratchNamespace("trtr")
        data = try ScratchDirectory()
        for br in ["br0", "br1"] {
            try lan.run(["ip", "link", "add", br, "type", "bridge"])
            try lan.run(["ip", "link", "set", br, "up"])
        }
        for (i, br) in ["br0", "br1"].enumerated() {
            let port = "r\(i)"
            try shell(["ip", "-n", lan.name, "link", "add", port, "type", "veth", "peer", "name", "eth\(i)", "netns", router.name])
            try lan.run(["ip", "link", "set", port, "master", br, "up"])
            try router.run(["ip", "link", "set", "eth\(i)", "up"])
            try router.run(["ip", "addr", "add", "10.5\(i).0.1/24", "dev", "eth\(i)"])
            try router.run(["ip", "addr", "add", "fd5\(i)::1/64", "dev", "eth\(i)", "nodad"])
        }
        try router.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
    }

    deinit {
        pods.removeAll()
        nodes.removeAll()
    }

    /// Adds node `number` (on br1 when `far`) and returns it; its daemon is not started.
    @discardableResult
    func addNode(_ number: Int, far: Bool = false) throws -> LabNode {
        let ns = try ScratchNamespace("tnd")
        let br = far ? "br1" : "br0"
        let port = "n\(number)\(ns.name.suffix(4))"
        try shell(["ip", "-n", lan.name, "link", "add", String(port.prefix(15)), "type", "veth", "peer", "name", "eth0", "netns", ns.name])
        try lan.run(["ip", "link", "set", String(port.prefix(15)), "master", br, "up"])
        let net = far ? 51 : 50
        let ip = "10.\(net).0.\(10 + number)", ip6 = "fd\(net)::\(10 + number)"
        try ns.run(["ip", "link", "set", "eth0", "up"])
        try ns.run(["ip", "addr", "add", "\(ip)/24", "dev", "eth0"])
        try ns.run(["ip", "addr", "add", "\(ip6)/64", "dev", "eth0", "nodad"])
        try ns.run(["ip", "route", "add", "default", "via", "10.\(net).0.1"])
        try ns.run(["ip", "-6", "route", "add", "default", "via", "fd\(net)::1"])
        try ns.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
        var annotations: [String: String] = [:]
        if mode.usesVXLAN { annotations[NodeAnnotation.vtepMAC] = NodeRouter.vtepMAC(nodeName: "node\(number)", vni: 1).description }
        let object = node("node\(number)", cidrs: ["10.244.\(number).0/24", "fd10:244:\(number)::/64"], ips: [ip, ip6],
                          annotations: annotations)
        let n = try LabNode(number: number, far: far, ns: ns, object: object, subnetFile: "\(data.path)/node\(number)/subnet.env")
        // As the daemon does: keep the subnet file for the plugins current after every pass.
        // (Capture the path, not the node: the node owns the router.)
        let path = n.subnetFile
        n.routing = NodeRouter(config: RoutingConfig(mode: mode, nodeName: n.name), kernel: n.kernel, onPass: { result in
            if let plan = result.plan {
                try? SubnetFile(mode: "\(plan.mode)", podCIDRs: plan.localPodCIDRs, mtu: plan.podMTU).write(path: path)
            }
        })
        nodes.append(n)
        return n
    }

    /// Tells every node's daemon about every node (as a relist would) and returns the results.
    @discardableResult
    func syncAll() -> [NodeRouter.PassResult] {
        let objects = nodes.map(\.object)
        return nodes.map { $0.routing.replaceAll(objects) }
    }

    /// Removes a node from every other daemon's view (a Node deletion) and from the lab.
    func removeNode(_ n: LabNode) -> [NodeRouter.PassResult] {
        nodes.removeAll { $0 === n }
        return nodes.map { $0.routing.delete(nodeNamed: n.name) }
    }

    /// A pod on `n` made by the plugin binary; returns its namespace and addresses.
    func addPod(on n: LabNode, plugin: String) throws -> (ns: ScratchNamespace, v4: String, v6: String) {
        let pod = try ScratchNamespace("tpd")
        pods.append(pod)
        let config = #"{"cniVersion":"1.1.0","name":"labnet","type":"\#(plugin)","subnetFile":"\#(n.subnetFile)","stateDir":"\#(data.path)/\#(n.name)/state","ipam":{"type":"trellis-ipam","dataDir":"\#(data.path)/\#(n.name)/ipam"}}"#
        let out = try runPlugin(builtProductsDirectory + "/" + plugin,
                                PluginCall(command: "ADD", containerID: pod.name, netns: pod.path, ifName: "eth0",
                                           path: builtProductsDirectory, config: config), in: n.ns)
        guard out.status == 0 else { throw LabError("\(plugin) ADD on \(n.name): \(out)") }
        let ips = (out.json["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        let v4 = ips.first { !$0.contains(":") }.map { String($0.split(separator: "/")[0]) } ?? ""
        let v6 = ips.first { $0.contains(":") }.map { String($0.split(separator: "/")[0]) } ?? ""
        return (pod, v4, v6)
    }

    /// Whether `from` reaches `address` by ping within the timeout (ARP/NDP may take a moment).
    func pings(_ from: ScratchNamespace, _ address: String, timeout: Double = 5) throws -> Bool {
        try eventually(timeout: timeout) {
            try from.run(["ping", "-c", "1", "-W", "1", address], check: false).status == 0
        }
    }

    /// Whether a TCP connection from `from` to a one-shot `socat` server in `to` carries data.
    func tcp(_ from: ScratchNamespace, to: ScratchNamespace, _ address: String, port: Int = 7000) throws -> Bool {
        let v6 = address.contains(":")
        let server = try BackgroundProcess(["ip", "netns", "exec", to.name, "socat",
                                            "\(v6 ? "TCP6" : "TCP4")-LISTEN:\(port),reuseaddr,fork", "SYSTEM:echo pong"])
        defer { server.stop() }
        let target = v6 ? "TCP6:[\(address)]:\(port)" : "TCP4:\(address):\(port)"
        return try eventually(timeout: 5) {
            try from.run(["socat", "-T", "2", "-", target], stdin: "", check: false).stdout.contains("pong")
        }
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
