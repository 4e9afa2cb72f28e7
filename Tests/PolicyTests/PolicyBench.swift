import Foundation
import KubeAPI
import NFTables
import NetAddr
import Testing
import TestSupport
@testable import Policy

/// Issue 9 bench (not a CI test): `TRELLIS_BENCH=1 swift test --filter PolicyBench`, or
/// `scripts/bench-policy.sh`. 5,000 simulated local pods in 50 namespaces, 1,000 policies.
enum BenchCluster {
    static let namespaces = 50, podsPerNamespace = 100, policiesPerNamespace = 20

    static func ip(_ k: Int) -> IPAddress { IPAddress("10.128.\(k / 250).\(k % 250 + 2)")! }

    static func pod(_ k: Int, extra: [String: String] = [:]) -> Pod {
        var p = Fixture.pod("ns\(k / podsPerNamespace)", "p\(k)", ip: ip(k))
        p.metadata.labels = ["app": "a\(k % policiesPerNamespace)", "role": "r\(k % 5)"].merging(extra) { $1 }
        return p
    }

    static func policy(_ ns: Int, _ j: Int) -> NetworkPolicy {
        Fixture.np("ns\(ns)", "p\(j)", select: Fixture.sel(["app": "a\(j)"]), ingress: [
            Fixture.from([Fixture.peer(pods: Fixture.sel(["role": "r\(j % 5)"]))], ports: [Fixture.port(IntOrString.int(Int32(8000 + j)))]),
            Fixture.from([Fixture.peer(pods: Fixture.sel(["app": "a\(j)"]), ns: Fixture.sel(["ns": "ns\((ns + 1) % namespaces)"]))],
                         ports: [Fixture.port("serve-80-tcp"), Fixture.port(9000, end: 9100)]),
        ])
    }

    static func load(_ e: PolicyEnforcer) throws {
        try e.batch {
            for n in 0..<namespaces { try e.upsert(Fixture.namespace("ns\(n)")) }
            for k in 0..<(namespaces * podsPerNamespace) { try e.upsert(pod(k)) }
            for n in 0..<namespaces { for j in 0..<policiesPerNamespace { try e.upsert(policy(n, j)) } }
        }
    }
}

private let benchEnabled = ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1" && isRoot

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t = monotonicSeconds()
    try body()
    return monotonicSeconds() - t
}

@Suite(.serialized) struct PolicyBench {
    @Test(.enabled(if: benchEnabled)) func compileAndApply() throws {
        let node = try ScratchNamespace("tpb")
        let nft = try NFTablesConnection(in: node.netns)
        let e = PolicyEnforcer(nodeName: Fixture.node, podCIDRs: [IPPrefix("10.128.0.0/16")!], nft: nft)
        try e.start()
        let full = try seconds { try BenchCluster.load(e) }
        let fullOps = e.lastBatchOperations
        let (fullSync, fullKernel) = (e.lastSyncSeconds, e.lastApplySeconds)
        let add = try seconds { try e.upsert(BenchCluster.pod(5000)) }
        let addOps = e.lastBatchOperations
        let addKernel = e.lastApplySeconds
        let relabel = try seconds { try e.upsert(BenchCluster.pod(17, extra: ["role": "r3"])) }
        let relabelOps = e.lastBatchOperations
        var addSamples: [Double] = []
        for k in 5001..<5021 { addSamples.append(try seconds { try e.upsert(BenchCluster.pod(k)) }) }
        let policyChange = try seconds { try e.upsert(BenchCluster.policy(3, 4)) }
        let elements = try nft.elements(of: NFTSet(table: PolicyPlan.table, name: "ingress4", key: [.ipv4Address], isVerdictMap: true)).count
        print("""
        BENCH policy: 5000 pods, 1000 policies
          first full compile+apply: \(String(format: "%.3f", full)) s including building the 6,000 objects and the events; \
        the final sync (compile + diff + apply) \(String(format: "%.3f", fullSync)) s, of which the kernel \(String(format: "%.3f", fullKernel)) s \
        (\(fullOps) batch operations, ingress4 has \(elements) elements)
          one pod add: \(String(format: "%.2f", add * 1000)) ms, kernel \(String(format: "%.2f", addKernel * 1000)) ms (\(addOps) operations); median of 20 more: \(String(format: "%.2f", addSamples.sorted()[10] * 1000)) ms
          one pod label change: \(String(format: "%.2f", relabel * 1000)) ms (\(relabelOps) operations)
          one policy update (full recompile, diff apply): \(String(format: "%.1f", policyChange * 1000)) ms
        """)
    }

    /// Connection rate from one real pod to another with no policy, then with the 1,000
    /// policies and 5,000 simulated pods loaded (the server selected by policies, the client
    /// allowed by a rule), in the same run.
    @Test(.enabled(if: benchEnabled)) func connectionRate() throws {
        let lab = try PolicyLab(startPods: false)
        let rateScript = #"""
        import socket, sys, time
        host, secs = sys.argv[1], float(sys.argv[2])
        n = 0; end = time.monotonic() + secs
        while time.monotonic() < end:
            s = socket.create_connection((host, 80), timeout=1); s.recv(2); s.close(); n += 1
        print(n / secs)
        """#
        try PolicyLab.write(rateScript, to: lab.dir.path + "/rate.py")
        try lab.addPod("x", "a")
        try lab.addPod("y", "b")
        try lab.enforcer.batch {
            try lab.enforcer.upsert(Fixture.pod("x", "a"))
            try lab.enforcer.upsert(Fixture.pod("y", "b"))
        }
        usleep(500_000)
        func rate() throws -> Double {
            let out = try lab.pods["y/b"]!.run(["/usr/bin/python3", lab.dir.path + "/rate.py", "\(Fixture.ip("x", "a"))", "3"]).stdout
            return Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        let before = try rate()
        try BenchCluster.load(lab.enforcer)
        // The server x/a is selected by ten policies; the last rule checked admits the client.
        try lab.enforcer.batch {
            for j in 0..<10 {
                try lab.enforcer.upsert(Fixture.np("x", "bench\(j)", ingress: [
                    Fixture.from([Fixture.peer(pods: Fixture.sel(["role": "r\(j)"]), ns: Fixture.all)], ports: [Fixture.port(IntOrString.int(Int32(8000 + j)))]),
                ]))
            }
            try lab.enforcer.upsert(Fixture.np("x", "zz-allow", ingress: [Fixture.from([Fixture.peer(ns: Fixture.sel(["ns": "y"]))], ports: [Fixture.port(80)])]))
        }
        let with = try rate()
        let again = try rate()
        print("""
        BENCH policy connection rate (TCP connect+recv+close, one client): none \(Int(before))/s, \
        with 1000 policies + 5000 pods \(Int(with))/s and \(Int(again))/s; ratio \(String(format: "%.2f", max(with, again) / before))
        """)
        #expect(with > 0)
    }
}
