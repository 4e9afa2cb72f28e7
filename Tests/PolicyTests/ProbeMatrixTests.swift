import Foundation
import KubeAPI
import NetAddr
import Testing
import TestSupport
@testable import Policy

private typealias F = Fixture

/// One probe-matrix case: what to apply to a fresh cluster (x, y, z × a, b, c, no policy).
struct MatrixCase: Sendable {
    var name: String
    var apply: @Sendable (PolicyEnforcer) throws -> Void
}

private func m(_ name: String, _ nps: [NetworkPolicy], _ cnps: [ClusterNetworkPolicy] = []) -> MatrixCase {
    MatrixCase(name: name) { e in
        try e.batch {
            for p in nps { try e.upsert(p) }
            for c in cnps { try e.upsert(c) }
        }
    }
}

private let denyIn = F.np("x", "deny-in", types: ["Ingress"])
private let fromY = F.peer(ns: F.sel(["ns": "y"]))

let matrixCases: [MatrixCase] = [
    m("default-deny ingress", [denyIn]),
    m("default-deny egress", [F.np("x", "deny-eg", types: ["Egress"])]),
    m("default-deny both", [F.np("x", "deny-all", types: ["Ingress", "Egress"])]),
    m("allow by pod selector", [F.np("x", "p", select: F.sel(["pod": "a"]), ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]))])])]),
    m("allow by namespace selector", [F.np("x", "p", ingress: [F.from([fromY])])]),
    m("allow by pod and namespace selector", [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]), ns: F.sel(["ns": "y"]))])])]),
    m("match expressions In", [F.np("x", "p", ingress: [F.from([F.peer(pods: LabelSelector(matchExpressions: [.init(key: "pod", operator: "In", values: ["a", "c"])]), ns: F.all)])])]),
    m("match expressions NotIn on namespaces", [F.np("x", "p", ingress: [F.from([F.peer(ns: LabelSelector(matchExpressions: [.init(key: "ns", operator: "NotIn", values: ["y"])]))])])]),
    m("numbered port", [F.np("x", "p", ingress: [F.from([fromY], ports: [F.port(80)])])]),
    m("named port", [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-81-tcp")])])]),
    m("named UDP port", [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-80-udp", "UDP")])])]),
    m("ranged port, UDP", [F.np("x", "p", ingress: [F.from(ports: [F.port(80, "UDP", end: 81)])])]),
    m("protocol-only rule", [F.np("x", "p", ingress: [F.from([F.peer(ns: F.all)], ports: [F.port(nil, "UDP")])])]),
    m("ports [{}] is all TCP", [F.np("x", "p", ingress: [F.from(ports: [F.port(nil)])])]),
    m("ipBlock of pod addresses", [F.np("x", "p", ingress: [F.from([F.block("10.244.0.20/30")])])]),
    m("ipBlock with except of pod addresses", [F.np("x", "p", ingress: [F.from([F.block("10.244.0.0/24", except: ["10.244.0.32/31", "10.244.0.21/32"])])])]),
    m("additivity beats except", [F.np("x", "p", ingress: [F.from([F.block("10.244.0.0/24", except: ["10.244.0.32/30"]), F.peer(pods: F.sel(["pod": "b"]), ns: F.all)])])]),
    m("ipBlock for the external network", [F.np("x", "p", ingress: [F.from([F.block("192.168.77.0/24")])])]),
    m("stacked policies", [F.np("x", "p1", ingress: [F.from([fromY], ports: [F.port(80)])]),
                           F.np("x", "p2", select: F.sel(["pod": "a"]), ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))], ports: [F.port(81, "UDP")])])]),
    MatrixCase(name: "policy update") { e in
        try e.upsert(F.np("x", "p", ingress: [F.from([fromY])]))
        try e.upsert(F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))], ports: [F.port(81)])]))
    },
    MatrixCase(name: "policy delete") { e in
        try e.upsert(F.np("x", "p1", ingress: [F.from([fromY])]))
        try e.upsert(denyIn)
        try e.deleteNetworkPolicy(namespace: "x", name: "p1")
    },
    MatrixCase(name: "pod relabel") { e in
        try e.upsert(F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["role": "client"]), ns: F.all)])]))
        try e.upsert(F.pod("y", "b", labels: ["pod": "b", "role": "client"]))
        try e.upsert(F.pod("z", "c", labels: ["pod": "c", "role": "client"]))
        try e.upsert(F.pod("z", "c", labels: ["pod": "c"]))
    },
    MatrixCase(name: "namespace relabel") { e in
        try e.upsert(F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["team": "blue"]))])]))
        try e.upsert(F.namespace("z", labels: ["ns": "z", "team": "blue"]))
    },
    MatrixCase(name: "subject pod relabel") { e in
        try e.upsert(F.np("y", "p", select: F.sel(["locked": "yes"]), ingress: []))
        try e.upsert(F.pod("y", "a", labels: ["pod": "a", "locked": "yes"]))
    },
    m("egress named port", [F.np("x", "p", egress: [F.to(ports: [F.port("serve-80-udp", "UDP")])], types: ["Egress"])]),
    m("egress to a namespace", [F.np("x", "p", select: F.sel(["pod": "a"]), egress: [F.to([F.peer(ns: F.sel(["ns": "z"]))])])]),
    m("egress ipBlock with except", [F.np("x", "p", egress: [F.to([F.block("10.244.0.16/28", except: ["10.244.0.22/32"])])], types: ["Egress"])]),
    m("egress ranged port", [F.np("x", "p", egress: [F.to(ports: [F.port(81, "TCP", end: 90)])], types: ["Egress"])]),
    m("policyTypes Egress ignores ingress rules", [F.np("x", "p", ingress: [], egress: [F.to([fromY])], types: ["Egress"])]),
    m("egress rules without policyTypes isolate ingress", [F.np("x", "p", egress: [F.to()])]),
    m("ingress [{}] next to a deny", [denyIn, F.np("x", "open", select: F.sel(["pod": "c"]), ingress: [F.from()])]),
    m("deny on both sides of a flow", [F.np("x", "eg", egress: [F.to([fromY])], types: ["Egress"]),
                                        F.np("y", "in", select: F.sel(["pod": "a"]), ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))])])]),
    m("kubernetes.io/metadata.name", [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["kubernetes.io/metadata.name": "z"]))])])]),
    m("empty selectors in a peer: every pod", [F.np("x", "p", ingress: [F.from([F.peer(pods: F.all, ns: F.all)])])]),
    m("CNP Admin Deny over NetworkPolicy allow", [F.np("x", "all", ingress: [F.from()])],
      [F.cnp("deny-y", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "y"]))])]),
    m("CNP Admin Accept over NetworkPolicy deny", [denyIn],
      [F.cnp("acc-z", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.sel(["ns": "z"]))])]),
    m("CNP Pass to NetworkPolicy", [F.np("x", "y-only", ingress: [F.from([fromY])])],
      [F.cnp("pass", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Pass", fromNamespaces: F.all)]),
       F.cnp("deny", priority: 2, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.all)])]),
    m("CNP Pass without NetworkPolicy falls to Baseline", [],
      [F.cnp("pass", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Pass", fromNamespaces: F.sel(["ns": "y"]))]),
       F.cnp("base", tier: "Baseline", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.all)])]),
    m("CNP Baseline deny", [],
      [F.cnp("base", tier: "Baseline", priority: 1, subject: F.all, ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "z"]))])]),
    m("CNP Baseline deny under a NetworkPolicy allow", [F.np("x", "allow-z", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))])])],
      [F.cnp("base", tier: "Baseline", priority: 1, subject: F.all, ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "z"]))])]),
    m("CNP Admin priority order", [],
      [F.cnp("deny", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.all)]),
       F.cnp("accept", priority: 5, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.sel(["ns": "y"]))])]),
    m("CNP Admin egress networks Deny", [],
      [F.cnp("eg", priority: 1, subject: F.sel(["ns": "y"]), egress: [F.cnpEg("Deny", networks: ["10.244.0.10/31"])])]),
    m("CNP Admin Deny on one port", [],
      [F.cnp("d80", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.all, tcp: 80)])]),
    m("CNP Admin egress Deny to a namespace", [],
      [F.cnp("eg", priority: 1, subject: F.sel(["ns": "z"]), egress: [F.cnpEg("Deny", toNamespaces: F.sel(["ns": "x"]), tcp: 81)])]),
]

@Suite(.serialized) struct ProbeMatrixTests {
    @Test(.enabled(if: isRoot)) func matrix() throws {
        let lab = try PolicyLab()
        #expect(try lab.mismatches().isEmpty, "no policy")
        var failed: [String] = []
        for c in matrixCases {
            try reset(lab.enforcer)
            try c.apply(lab.enforcer)
            let bad = try lab.mismatches()
            if !bad.isEmpty { failed.append("\(c.name): \(bad.count) mismatches, e.g. \(bad.prefix(4))") }
        }
        #expect(failed.isEmpty, "\(failed.joined(separator: "\n"))")
        #expect(matrixCases.count >= 40)
    }
}

/// Back to the fixture: no policies, default labels.
func reset(_ e: PolicyEnforcer) throws {
    let s = e.state
    try e.batch {
        for key in s.policies.keys {
            let parts = key.split(separator: "/").map(String.init)
            if parts[0] == "np" { try e.deleteNetworkPolicy(namespace: parts[1], name: parts[2]) }
            else { try e.deleteClusterNetworkPolicy(parts[1]) }
        }
        for n in F.allNamespaces { try e.upsert(n) }
        for p in F.pods { try e.upsert(p) }
    }
}
