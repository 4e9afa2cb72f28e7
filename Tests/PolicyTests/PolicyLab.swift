import Foundation
import KubeAPI
import NFTables
import NetAddr
import TestSupport
@testable import Policy

/// A node namespace with a bridge, pods x/a … z/c as namespaces on it (addresses as in
/// `Fixture`), each serving 80 and 81 over TCP and UDP, and an external namespace routed
/// through the node. The enforcer runs in-process against the node's nftables. Everything
/// is removed when the lab goes away.
final class PolicyLab: @unchecked Sendable {
    let node: ScratchNamespace
    let ext: ScratchNamespace
    private(set) var pods: [String: ScratchNamespace] = [:]
    private var servers: [BackgroundProcess] = []
    let dir: ScratchDirectory
    let enforcer: PolicyEnforcer
    let nft: NFTablesConnection
    static let bridge = "tbr0"

    init(strict: Bool = true, startPods: Bool = true) throws {
        node = try ScratchNamespace("tpn")
        ext = try ScratchNamespace("tpe")
        dir = try ScratchDirectory()
        try Self.write(Self.serverScript, to: dir.path + "/server.py")
        try Self.write(Self.proberScript, to: dir.path + "/probe.py")
        let n = node.name
        try shell(["ip", "-n", n, "link", "add", Self.bridge, "type", "bridge"])
        try shell(["ip", "-n", n, "addr", "add", Fixture.nodeIP + "/24", "dev", Self.bridge])
        try shell(["ip", "-n", n, "link", "set", Self.bridge, "up"])
        try node.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"])
        // The external namespace: 192.168.77.2, routed to the pods through the node.
        try shell(["ip", "-n", n, "link", "add", "ext0", "type", "veth", "peer", "name", "eth0", "netns", ext.name])
        try shell(["ip", "-n", n, "addr", "add", "192.168.77.1/24", "dev", "ext0"])
        try shell(["ip", "-n", n, "link", "set", "ext0", "up"])
        try shell(["ip", "-n", ext.name, "addr", "add", "192.168.77.2/24", "dev", "eth0"])
        try shell(["ip", "-n", ext.name, "link", "set", "eth0", "up"])
        try shell(["ip", "-n", ext.name, "route", "add", "10.244.0.0/24", "via", "192.168.77.1"])
        nft = try NFTablesConnection(in: node.netns)
        enforcer = PolicyEnforcer(nodeName: Fixture.node, podCIDRs: [IPPrefix(Fixture.podCIDR)!], strict: strict, nft: nft)
        try enforcer.start()
        try enforcer.batch { for ns in Fixture.allNamespaces { try enforcer.upsert(ns) } }
        if startPods {
            for ns in Fixture.namespaces {
                for p in Fixture.podNames { try addPod(ns, p) }
            }
            try enforcer.batch { for p in Fixture.pods { try enforcer.upsert(p) } }
            try waitForServers()
        }
    }

    deinit {
        for s in servers { s.stop() }
        pods.removeAll()
    }

    /// Creates the pod's namespace, veth on the bridge, address and servers. Does not tell
    /// the enforcer (the fail-closed rule covers it until it does).
    @discardableResult
    func addPod(_ ns: String, _ name: String, ip: IPAddress? = nil, serve: Bool = true) throws -> ScratchNamespace {
        let pod = try ScratchNamespace("tpp")
        let address = ip ?? Fixture.ip(ns, name)
        let host = "v" + pod.name
        try shell(["ip", "-n", node.name, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", pod.name])
        try shell(["ip", "-n", node.name, "link", "set", host, "master", Self.bridge, "up"])
        try shell(["ip", "-n", pod.name, "addr", "add", "\(address)/24", "dev", "eth0"])
        try shell(["ip", "-n", pod.name, "link", "set", "eth0", "up"])
        try shell(["ip", "-n", pod.name, "route", "add", "default", "via", Fixture.nodeIP])
        pods["\(ns)/\(name)"] = pod
        if serve {
            servers.append(try BackgroundProcess(["ip", "netns", "exec", pod.name, "/usr/bin/python3", dir.path + "/server.py"]))
        }
        return pod
    }

    func waitForServers() throws {
        // Each server binds 4 sockets; probe from the node (never filtered) until all answer.
        let ok = try eventually(timeout: 10) {
            let r = try probe(from: "node", targets: Fixture.namespaces.flatMap { ns in Fixture.podNames.map { Fixture.ip(ns, $0) } })
            return r.values.allSatisfy { $0 == "ok" }
        }
        if !ok { throw LabError("servers did not start") }
    }

    /// Probes every (address, port 80/81, TCP/UDP) from one source (`x/a`, `node`, `ext`);
    /// results are `ok`, `timeout` or `refused`.
    func probe(from source: String, targets: [IPAddress], ports: [UInt16] = [80, 81], timeout: Double = 0.3)
        throws -> [String: String]
    {
        let ns: ScratchNamespace = source == "node" ? node : source == "ext" ? ext : pods[source]!
        var args = ["ip", "netns", "exec", ns.name, "/usr/bin/python3", dir.path + "/probe.py", String(timeout)]
        for t in targets { for p in ports { for proto in ["tcp", "udp"] { args.append("\(t):\(p):\(proto)") } } }
        let out = try shell(args).stdout
        var result: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// The full truth table (every source, every destination pod, 80/81, TCP/UDP), probed in
    /// parallel, against the evaluator. Returns the mismatches.
    func mismatches(sources: [String]? = nil) throws -> [String] {
        let podKeys = Fixture.namespaces.flatMap { ns in Fixture.podNames.map { "\(ns)/\($0)" } }
        let srcs = sources ?? podKeys + ["node", "ext"]
        let results = Locked<[String: [String: String]]>([:])
        let errors = Locked<[String]>([])
        // One thread per source: the probers mostly wait, so all of them run at once.
        let done = DispatchSemaphore(value: 0)
        for src in srcs {
            let targets = podKeys.filter { $0 != src }.map { Fixture.address($0) }
            Thread {
                do {
                    let r = try self.probe(from: src, targets: targets)
                    results.with { $0[src] = r }
                } catch { errors.with { $0.append("\(src): \(error)") } }
                done.signal()
            }.start()
        }
        for _ in srcs { done.wait() }
        var bad = errors.value
        let sourceIP = { (s: String) in s == "ext" ? Fixture.external : Fixture.address(s) }
        for src in srcs {
            for dst in podKeys where dst != src {
                for port: UInt16 in [80, 81] {
                    for proto in [L4Proto.tcp, .udp] {
                        let key = "\(Fixture.address(dst)):\(port):\(proto.description.lowercased())"
                        let got = results.value[src]?[key] ?? "missing"
                        let want = enforcer.explain(Flow(source: sourceIP(src), destination: Fixture.address(dst),
                                                         port: port, proto: proto)).allowed
                        if got == "refused" || (got == "ok") != want {
                            bad.append("\(src) -> \(dst) \(port)/\(proto): probe \(got), model \(want ? "allow" : "deny")")
                        }
                    }
                }
            }
        }
        return bad
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let serverScript = #"""
    import select, socket
    socks = []
    for port in (80, 81):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind(("0.0.0.0", port)); t.listen(512); socks.append(t)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port)); socks.append(u)
    conns = []
    while True:
        r, _, _ = select.select(socks + conns, [], [])
        for s in r:
            if s in conns:
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if d:
                    try: s.send(d)
                    except OSError: pass
                else:
                    conns.remove(s); s.close()
            elif s.type == socket.SOCK_STREAM:
                c, _ = s.accept(); c.setblocking(False)
                try: c.send(b"ok")
                except OSError: pass
                conns.append(c)
            else:
                d, a = s.recvfrom(4096); s.sendto(b"ok", a)
    """#

    static let proberScript = #"""
    import errno, select, socket, sys, time
    timeout = float(sys.argv[1])
    pending = {}
    result = {}
    for spec in sys.argv[2:]:
        host, port, proto = spec.split(":")
        if proto == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setblocking(False)
            e = s.connect_ex((host, int(port)))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
            s.connect((host, int(port)))
            try: s.send(b"probe")
            except OSError: pass
        pending[s] = spec
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        tcp_w = [s for s in pending if s.type == socket.SOCK_STREAM]
        r, w, _ = select.select(list(pending), tcp_w, [], max(0, deadline - time.monotonic()))
        for s in set(r) | set(w):
            if s not in pending: continue
            spec = pending[s]
            if s.type == socket.SOCK_STREAM:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                result[spec] = "ok" if err == 0 else ("refused" if err == errno.ECONNREFUSED else "error%d" % err)
            else:
                try:
                    s.recv(64); result[spec] = "ok"
                except ConnectionRefusedError:
                    result[spec] = "refused"
                except OSError:
                    continue
            del pending[s]; s.close()
    for s, spec in pending.items():
        result[spec] = "timeout"
    for spec, v in result.items():
        print(spec, v)
    """#
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let l = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { l.withLock { v } }
    func with<R>(_ body: (inout T) -> R) -> R { l.withLock { body(&v) } }
}
