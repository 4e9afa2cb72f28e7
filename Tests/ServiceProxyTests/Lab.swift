import Foundation
import NetNS
import TestSupport

/// A one-node cluster in network namespaces, never touching the host's:
///
///     external (192.168.0.100, fd00:1::100)
///        | ext0/ext1
///     node-a (192.168.0.10, fd00:1::10; bridge br0 10.1.0.1/24, fd00:10::1/64)  -- node-b (172.16.0.2)
///        | veths (hairpin on)                                                     | br0 10.1.1.1/24
///     pods p1 p2 p3 c1 (10.1.0.11-13, .20; fd00:10::11-13, ::20)                  pod r1 (10.1.1.11)
///
/// Every pod runs a server answering "<pod> <peer address>" on TCP 8080, 8081 and UDP 8080,
/// 8081 (both families). node-b runs no proxy: its pod is a remote endpoint, reached through
/// static routes (multi-node routing is not this module's job).
final class Lab: @unchecked Sendable {
    let node: ScratchNamespace
    let nodeB: ScratchNamespace
    let external: ScratchNamespace
    private(set) var pods: [String: ScratchNamespace] = [:]
    private var servers: [String: BackgroundProcess] = [:]
    let dir: ScratchDirectory

    static let podIPs = ["p1": 11, "p2": 12, "p3": 13, "c1": 20]
    static let python = "/root/.pyenv/versions/3.11.7/bin/python3"

    init() throws {
        dir = try ScratchDirectory()
        try Self.server.write(toFile: dir.path + "/server.py", atomically: true, encoding: .utf8)
        try Self.client.write(toFile: dir.path + "/client.py", atomically: true, encoding: .utf8)
        node = try ScratchNamespace("pxn")
        nodeB = try ScratchNamespace("pxb")
        external = try ScratchNamespace("pxx")
        for ns in [node, nodeB, external] { try Self.noDAD(ns) }
        let n = node.name
        for cmd in [
            "sysctl -qw net.ipv4.ip_forward=1", "sysctl -qw net.ipv6.conf.all.forwarding=1",
            "ip link add br0 type bridge", "ip link set br0 up",
            "ip addr add 10.1.0.1/24 dev br0", "ip addr add fd00:10::1/64 dev br0 nodad",
        ] { try node.run(cmd.split(separator: " ").map(String.init)) }
        // Bridged pod-to-pod traffic must pass the ip hooks so that replies are un-NATed
        // (kube-proxy needs the same with any bridge CNI); per namespace since Linux 5.3.
        try node.run(["sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"])
        try node.run(["sysctl", "-qw", "net.bridge.bridge-nf-call-ip6tables=1"])
        // external <-> node-a
        try shell(["ip", "-n", n, "link", "add", "ext0", "type", "veth", "peer", "name", "ext1", "netns", external.name])
        try node.run(["ip", "addr", "add", "192.168.0.10/24", "dev", "ext0"])
        try node.run(["ip", "addr", "add", "fd00:1::10/64", "dev", "ext0", "nodad"])
        try node.run(["ip", "link", "set", "ext0", "up"])
        try external.run(["ip", "addr", "add", "192.168.0.100/24", "dev", "ext1"])
        try external.run(["ip", "addr", "add", "fd00:1::100/64", "dev", "ext1", "nodad"])
        try external.run(["ip", "link", "set", "ext1", "up"])
        try external.run(["ip", "route", "add", "203.0.113.0/24", "via", "192.168.0.10"])
        // The node's default route leads outside, as on a real node: an unhandled ClusterIP
        // is routed (and reaches the forward hook) instead of failing in routing.
        try node.run(["ip", "route", "add", "default", "via", "192.168.0.100"])
        try node.run(["ip", "-6", "route", "add", "default", "via", "fd00:1::100"])
        // node-a <-> node-b
        try shell(["ip", "-n", n, "link", "add", "nb0", "type", "veth", "peer", "name", "nb1", "netns", nodeB.name])
        try node.run(["ip", "addr", "add", "172.16.0.1/24", "dev", "nb0"])
        try node.run(["ip", "link", "set", "nb0", "up"])
        try node.run(["ip", "route", "add", "10.1.1.0/24", "via", "172.16.0.2"])
        try nodeB.run(["ip", "addr", "add", "172.16.0.2/24", "dev", "nb1"])
        try nodeB.run(["ip", "link", "set", "nb1", "up"])
        try nodeB.run(["ip", "link", "add", "br0", "type", "bridge"])
        try nodeB.run(["ip", "link", "set", "br0", "up"])
        try nodeB.run(["ip", "addr", "add", "10.1.1.1/24", "dev", "br0"])
        try nodeB.run(["ip", "route", "add", "default", "via", "172.16.0.1"])
        try nodeB.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for (name, host) in Self.podIPs.sorted(by: { $0.key < $1.key }) {
            try addPod(name, on: node, v4: "10.1.0.\(host)", gw4: "10.1.0.1", v6: "fd00:10::\(host)", gw6: "fd00:10::1")
        }
        try addPod("r1", on: nodeB, v4: "10.1.1.11", gw4: "10.1.1.1", v6: nil, gw6: nil)
        for name in pods.keys.sorted() { try startServer(name) }
        for name in pods.keys.sorted() {
            let ok = try eventually(timeout: 10) {
                try pods[name]!.run(["ss", "-Hltn", "sport = :8081"], check: false).stdout.contains("8081")
            }
            if !ok { throw LabError("server in \(name) did not start") }
        }
    }

    private func addPod(_ name: String, on host: ScratchNamespace, v4: String, gw4: String, v6: String?, gw6: String?) throws {
        let pod = try ScratchNamespace("pxp")
        pods[name] = pod
        try Self.noDAD(pod)
        let hostSide = "v\(name)"
        try shell(["ip", "-n", host.name, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", pod.name])
        try host.run(["ip", "link", "set", hostSide, "master", "br0"])
        try host.run(["ip", "link", "set", hostSide, "type", "bridge_slave", "hairpin", "on"])
        try host.run(["ip", "link", "set", hostSide, "up"])
        try pod.run(["ip", "addr", "add", "\(v4)/24", "dev", "eth0"])
        if let v6 { try pod.run(["ip", "addr", "add", "\(v6)/64", "dev", "eth0", "nodad"]) }
        try pod.run(["ip", "link", "set", "eth0", "up"])
        try pod.run(["ip", "route", "add", "default", "via", gw4])
        if let gw6 { try pod.run(["ip", "-6", "route", "add", "default", "via", gw6]) }
    }

    /// No duplicate address detection on any interface created from now on: while a
    /// link-local address is tentative the kernel sends no neighbour solicitation, so
    /// (for example) an ICMPv6 error to a pod is silently lost.
    static func noDAD(_ ns: ScratchNamespace) throws {
        try ns.run(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
    }

    /// (Re)starts the pod's server.
    func startServer(_ name: String) throws {
        servers[name]?.stop()
        servers[name] = try BackgroundProcess(["ip", "netns", "exec", pods[name]!.name, Self.python,
                                               dir.path + "/server.py", name, "8080", "8081"])
    }

    func stopServer(_ name: String) {
        servers[name]?.stop()
        servers[name] = nil
    }

    deinit {
        // Processes first: a namespace with a live process would outlive its deletion.
        for s in servers.values { s.stop() }
    }

    /// Where a client runs.
    enum Spot: Hashable, Sendable, CustomStringConvertible {
        case pod(String), node, external
        var description: String {
            switch self {
            case let .pod(p): p
            case .node: "node"
            case .external: "external"
            }
        }
    }

    func namespace(_ spot: Spot) -> ScratchNamespace {
        switch spot {
        case let .pod(p): pods[p]!
        case .node: node
        case .external: external
        }
    }

    /// Runs the client: one line per attempt, `OK <pod> <peer>`, `REFUSED <seconds>`, `TIMEOUT`.
    func connect(from spot: Spot, _ proto: String, _ host: String, _ port: Int, timeout: Double = 1,
                 count: Int = 1, sourcePort: Int = 0) throws -> [String] {
        let out = try namespace(spot).run([Self.python, dir.path + "/client.py", proto, host, "\(port)", "\(timeout)",
                                           "\(count)", "\(sourcePort)"]).stdout
        return out.split(separator: "\n").map(String.init)
    }

    static let server = """
    import socket, sys, threading
    name = sys.argv[1]
    def peer(a):
        a = a[0]
        return a[7:] if a.startswith('::ffff:') else a
    def tcp(p):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('::', p)); s.listen(512)
        while True:
            c, a = s.accept()
            try: c.sendall(('%s %s\\n' % (name, peer(a))).encode())
            except OSError: pass
            c.close()
    def udp(p):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(('::', p))
        while True:
            d, a = s.recvfrom(2048)
            s.sendto(('%s %s\\n' % (name, peer(a))).encode(), a)
    ts = []
    for p in sys.argv[2:]:
        for f in (tcp, udp):
            t = threading.Thread(target=f, args=(int(p),), daemon=True); t.start(); ts.append(t)
    for t in ts: t.join()
    """

    static let client = """
    import socket, sys, time
    proto, host, port, timeout, count, sport = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    for i in range(count):
        t = time.time()
        s = socket.socket(fam, socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            if sport:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', sport))
            s.connect((host, port))
            if proto == 'udp': s.send(b'q')
            print('OK', s.recv(200).decode().strip(), flush=True)
        except ConnectionRefusedError:
            print('REFUSED %.3f' % (time.time() - t), flush=True)
        except socket.timeout:
            print('TIMEOUT', flush=True)
        except OSError as e:
            print('ERR', e, flush=True)
        finally:
            s.close()
    """
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
