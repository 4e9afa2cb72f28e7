#if canImport(Glibc)
import Glibc
#endif
import KubeAPI
import NFTables
import NetAddr
import Testing
@testable import Policy

private typealias F = Fixture

private func compiler(_ nps: [NetworkPolicy], _ cnps: [ClusterNetworkPolicy] = [], strict: Bool = true) -> PolicyCompiler {
    var c = PolicyCompiler(nodeName: F.node, podCIDRs: [IPPrefix(F.podCIDR)!], strict: strict)
    c.replaceState(F.model(nps, cnps).state)
    return c
}

private func golden(_ name: String, _ text: String) throws {
    let dir = String(#filePath.dropLast("PolicyCompilerTests.swift".count)) + "Golden/"
    let path = dir + name + ".txt"
    guard let fp = fopen(path, "r") else {
        // First run writes the file for review; the test fails so it is never silently accepted.
        let w = fopen(path, "w")!
        fputs(text + "\n", w)
        fclose(w)
        Issue.record("wrote new golden file \(path)")
        return
    }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, fp)
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    fclose(fp)
    #expect(String(decoding: bytes, as: UTF8.self) == text + "\n")
}

private let goldenPolicies: [NetworkPolicy] = [
    F.np("x", "allow-y-web", select: F.sel(["pod": "a"]),
         ingress: [F.from([F.peer(ns: F.sel(["ns": "y"])), F.block("10.244.0.0/24", except: ["10.244.0.32/30"])],
                          ports: [F.port(80), F.port("serve-81-udp", "UDP"), F.port(8000, end: 8080)])]),
    F.np("x", "egress-named", select: F.sel(["pod": "b"]),
         egress: [F.to([F.peer(pods: F.sel(["pod": "c"]), ns: F.all)], ports: [F.port("serve-80-tcp")])], types: ["Egress"]),
]
private let goldenCNPs: [ClusterNetworkPolicy] = [
    F.cnp("pass-z", priority: 5, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Pass", fromNamespaces: F.sel(["ns": "z"]))]),
    F.cnp("deny-z", tier: "Baseline", priority: 1, subject: F.all, ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "z"]), tcp: 81)]),
]

@Test func planGolden() throws {
    try golden("plan-basic", compiler(goldenPolicies, goldenCNPs).plan.description)
}

@Test func planGoldenNonStrict() throws {
    try golden("plan-nonstrict-empty", compiler([], strict: false).plan.description)
}

@Test func firstBatchReplacesTheTable() {
    let b = compiler(goldenPolicies).plan.batch(from: nil, tableExists: true)
    #expect(b.operations.first == .deleteTable(PolicyPlan.table))
    #expect(b.operations.dropFirst().first == .addTable(PolicyPlan.table))
}

@Test func identicalPlansDiffToNothing() {
    let c = compiler(goldenPolicies, goldenCNPs)
    #expect(c.plan.batch(from: compiler(goldenPolicies, goldenCNPs).plan).isEmpty)
}

@Test func podAddTouchesOnlyItsElements() {
    var c = compiler(goldenPolicies, goldenCNPs)
    let before = c.plan
    c.upsert(F.pod("y", "d", ip: IPAddress("10.244.0.24")!))
    let b = c.plan.batch(from: before)
    let text = b.description
    #expect(b.operations.count == 3, "\(text)")
    #expect(text.contains("add element inet trellis_policy np.x.allow-y-web.in0.pods { 10.244.0.24 }"))
    #expect(text.contains("add element inet trellis_policy egress4 { 10.244.0.24 : accept }"))
    #expect(text.contains("add element inet trellis_policy ingress4 { 10.244.0.24 : jump p"))
}

@Test func incrementalEqualsFullRebuild() {
    var c = compiler(goldenPolicies, goldenCNPs)
    c.upsert(F.pod("x", "d", labels: ["pod": "a"], ip: IPAddress("10.244.0.14")!))
    c.upsert(F.pod("z", "c", labels: ["pod": "c", "extra": "1"]))
    c.deletePod(namespace: "y", name: "b")
    var full = c
    full.replaceState(c.state)
    #expect(c.plan == full.plan, "\(c.plan.batch(from: full.plan))")
}

@Test func policyDeleteRemovesItsChainsAndSets() throws {
    var c = compiler(goldenPolicies, goldenCNPs)
    let fake = NFTablesFake()
    try fake.apply(c.plan.batch(from: nil, tableExists: false))
    let before = c.plan
    c.update { $0.deleteNetworkPolicy(namespace: "x", name: "allow-y-web") }
    try fake.apply(c.plan.batch(from: before))
    #expect(!fake.description.contains("allow-y-web"))
    var fresh = PolicyCompiler(nodeName: F.node, podCIDRs: [IPPrefix(F.podCIDR)!])
    fresh.replaceState(c.state)
    let fake2 = NFTablesFake()
    try fake2.apply(fresh.plan.batch(from: nil, tableExists: false))
    #expect(fake.description == fake2.description)
}

@Test func enforcerAppliesThroughTheFake() throws {
    let fake = NFTablesFake()
    let e = PolicyEnforcer(nodeName: F.node, podCIDRs: [IPPrefix(F.podCIDR)!], nft: fake)
    try e.start()
    try e.batch {
        for n in F.allNamespaces { try e.upsert(n) }
        for p in F.pods { try e.upsert(p) }
        try e.upsert(goldenPolicies[0])
    }
    #expect(fake.applyCount == 2)
    try e.upsert(F.pod("y", "d", ip: IPAddress("10.244.0.24")!))
    #expect(e.lastBatchOperations == 3 + 6)  // + the strict-mode generation bump
    let d = e.explain(F.flow("z/b", "x/a", 80))
    #expect(!d.allowed)
    fake.failApply(errno: ENOMEM)
    #expect(throws: NFTablesError.self) { try e.deletePod(namespace: "y", name: "d") }
    try e.upsert(F.pod("y", "e", ip: IPAddress("10.244.0.25")!))
    #expect(fake.description.contains("10.244.0.25"))
    #expect(!fake.description.contains("10.244.0.24 "))
}
