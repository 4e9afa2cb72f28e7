import Foundation
import IPAM
import Testing
import TestSupport

/// Real packets between pods made by the plugin.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct ConnectivityTests {
    @Test func twoPodsPingEachOtherAndTheGateway() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(extra: #""isDefaultGateway":true"#,
                             ipam: #"{"type":"trellis-ipam","dataDir":"\#(lab.data.path)/ipam","ranges":[[{"subnet":"10.81.0.0/24"}],[{"subnet":"fd00:81::/64"}]]}"#)
        let a = try lab.pod(), b = try lab.pod()
        let ra = try lab.call("ADD", pod: a, config: cfg), rb = try lab.call("ADD", pod: b, config: cfg)
        #expect(ra.status == 0 && rb.status == 0, "\(ra) \(rb)")
        let ipB = addresses(rb).map { String($0.split(separator: "/")[0]) }
        #expect(ipB.count == 2)
        for ip in ipB + ["10.81.0.1", "fd00:81::1"] {
            let ping = try a.run(["ping", "-c", "1", "-W", "2", ip], check: false)
            #expect(ping.status == 0, "pod a -> \(ip): \(ping.stdout)")
        }
    }

    @Test func ipMasqHidesThePodBehindTheNode() throws {
        let lab = try BridgeLab()
        let ext = try ScratchNamespace("text")
        try lab.node.run(["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "eth0", "netns", ext.name])
        try lab.node.run(["ip", "addr", "add", "192.0.2.1/24", "dev", "uplink"])
        try lab.node.run(["ip", "link", "set", "uplink", "up"])
        try ext.run(["ip", "addr", "add", "192.0.2.2/24", "dev", "eth0"])
        try ext.run(["ip", "link", "set", "eth0", "up"])
        for masq in [true, false] {
            let pod = try lab.pod()
            let cfg = lab.config(bridge: masq ? "tbr0" : "tbr1", extra: #""isDefaultGateway":true,"ipMasq":\#(masq)"#,
                                 subnet: masq ? "10.82.0.0/24" : "10.83.0.0/24")
            let add = try lab.call("ADD", pod: pod, config: cfg)
            #expect(add.status == 0, "\(add)")
            if !masq {
                // Without masquerade the external host needs a route back to the pod.
                try ext.run(["ip", "route", "add", "10.83.0.0/24", "via", "192.0.2.1"])
            }
            let seen = try sourceSeenByExternal(from: pod, ext: ext)
            let podIP = addresses(add).first.map { String($0.split(separator: "/")[0]) } ?? "?"
            #expect(seen == (masq ? "192.0.2.1" : podIP), "masq=\(masq): external saw \(seen)")
            // DEL removes the masquerade: the pod is seen as itself afterwards.
            if masq {
                #expect(try lab.call("DEL", pod: pod, config: cfg).status == 0)
            }
        }
    }

    /// Opens a TCP connection from `pod` to the external host and returns the peer address
    /// the external host sees.
    func sourceSeenByExternal(from pod: ScratchNamespace, ext: ScratchNamespace) throws -> String {
        let server = try BackgroundProcess(["ip", "netns", "exec", ext.name, "nc", "-l", "-p", "8080"])
        defer { server.stop() }
        _ = eventually { ((try? ext.run(["ss", "-Hltn", "( sport = :8080 )"]).stdout) ?? "").contains("8080") }
        let client = try BackgroundProcess(["ip", "netns", "exec", pod.name, "sh", "-c", "sleep 3 | nc -q 0 192.0.2.2 8080"])
        defer { client.stop() }
        var peer = ""
        _ = eventually {
            peer = (try? ext.run(["ss", "-Htn", "state", "established", "( sport = :8080 )"]).stdout) ?? ""
            return !peer.isEmpty
        }
        // Columns: Recv-Q Send-Q Local Peer
        let fields = peer.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 4 else { return "none" }
        let p = String(fields[3])
        return String(p[..<(p.lastIndex(of: ":") ?? p.endIndex)])
    }
}

/// Concurrency and crash safety of the whole plugin, as processes.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct ConcurrencyTests {
    @Test func hundredConcurrentAddsNeverDuplicate() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(subnet: "10.84.0.0/24")
        let pods = try (0..<100).map { _ in try lab.pod() }
        let script = pods.map { p in
            "CNI_COMMAND=ADD CNI_CONTAINERID=\(p.name) CNI_NETNS=\(p.path) CNI_IFNAME=eth0 CNI_PATH=\(lab.bin) \(lab.bin)/trellis-bridge < \(lab.data.path)/conf.json > \(lab.data.path)/\(p.name).out 2>&1 &"
        }.joined(separator: "\n") + "\nwait\n"
        try cfg.write(toFile: lab.data.path + "/conf.json", atomically: true, encoding: .utf8)
        try shell(["nsenter", "--net=\(lab.node.path)", "--", "sh", "-c", script])
        var seen: [String: String] = [:]
        var failures: [String] = []
        for p in pods {
            let out = try String(contentsOfFile: lab.data.path + "/\(p.name).out", encoding: .utf8)
            let r = PluginOutput(status: 0, stdout: out, stderr: "")
            guard let ip = addresses(r).first else { failures.append(out); continue }
            #expect(seen[ip] == nil, "\(ip) handed to \(seen[ip] ?? "") and \(p.name)")
            seen[ip] = p.name
            // The address really is on the pod.
            #expect(try p.ipJSON(["addr", "show", "dev", "eth0"]).description.contains(ip.split(separator: "/")[0]))
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(seen.count == 100)
    }

    @Test func sigkillNeverCorruptsTheStoreAndGCReclaims() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(subnet: "10.85.0.0/16")
        try cfg.write(toFile: lab.data.path + "/conf.json", atomically: true, encoding: .utf8)
        var rng = SystemRandomNumberGenerator()
        // Spread the kills over a whole ADD as it runs here (debug builds and load stretch it),
        // so some land before and some after the address is reserved.
        let started = ContinuousClock.now
        #expect(try lab.call("ADD", pod: try lab.pod(), container: "calibrate", config: cfg).status == 0)
        let add = ContinuousClock.now - started
        #expect(try lab.call("DEL", pod: nil, container: "calibrate", config: cfg).status == 0)
        // 1.5x: the killed ADDs also start through sh and env. Some kills then land before the
        // reservation, some after, some after the ADD finished (all three are checked below).
        let microseconds = add.components.seconds * 1_000_000 + add.components.attoseconds / 1_000_000_000_000
        let window = max(UInt32(microseconds * 3 / 2), 5_000)
        var completed = 0
        for i in 0..<50 {
            let pod = try lab.pod()
            // The plugin is exec'd by nsenter, so the kill hits the plugin process itself.
            let p = try BackgroundProcess(["sh", "-c",
                "exec nsenter --net=\(lab.node.path) -- env CNI_COMMAND=ADD CNI_CONTAINERID=k\(i) CNI_NETNS=\(pod.path) CNI_IFNAME=eth0 CNI_PATH=\(lab.bin) \(lab.bin)/trellis-bridge < \(lab.data.path)/conf.json"])
            usleep(UInt32.random(in: 0..<window, using: &rng))
            p.signal(SIGKILL)
            if p.wait() == 0 { completed += 1 }
            // After every kill the store still works: a normal ADD + DEL succeeds.
            let probe = try lab.call("ADD", pod: try lab.pod(), container: "probe\(i)", config: cfg)
            #expect(probe.status == 0, "store usable after kill \(i): \(probe)")
            let del = try lab.call("DEL", pod: nil, container: "probe\(i)", config: cfg)
            #expect(del.status == 0, "DEL after kill \(i): \(del)")
        }
        // The kills must have interrupted ADDs, or this test proved nothing.
        #expect(completed < 50, "every ADD finished before its kill")
        // Killed ADDs that got past IPAM leaked their addresses; a GC with an empty valid list
        // must reclaim every one of them (and those of ADDs that finished before their kill).
        let leaked = try FileStore(dataDir: lab.data.path + "/ipam").load(network: "tnet").allocations
        #expect(!leaked.isEmpty, "some kills landed after the address was reserved")
        #expect(leaked.allSatisfy { $0.containerID.hasPrefix("k") }, "only killed ADDs hold addresses: \(leaked)")
        let gc = try lab.call("GC", pod: nil, ifName: nil, config: BridgeLab.withAttachments(cfg, []))
        #expect(gc.status == 0, "\(gc)")
        let state = try FileStore(dataDir: lab.data.path + "/ipam").load(network: "tnet")
        #expect(state.allocations.isEmpty, "no allocation left after GC: \(state.allocations)")
    }
}
