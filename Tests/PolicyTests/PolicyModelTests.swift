import KubeAPI
import NetAddr
import Testing
@testable import Policy

/// One evaluator case: the rule of issue 9 §1 it checks, the objects, a flow, the verdict.
struct ModelCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var nps: [NetworkPolicy] = []
    var cnps: [ClusterNetworkPolicy] = []
    var pods: [Pod]? = nil
    var namespaces: [Namespace]? = nil
    var flow: Flow
    var allowed: Bool
    var testDescription: String { "\(rule): \(flow) -> \(allowed ? "allow" : "deny")" }
}

private typealias F = Fixture
private let denyIngressX = F.np("x", "deny-in", select: F.all, types: ["Ingress"])
private let http: [Pod] = F.pods.map { p in
    // y/b and y/c name different port numbers `http`: named ports must resolve per pod.
    guard p.metadata.namespace == "y", let n = p.metadata.name, n != "a" else { return p }
    var q = p
    q.spec!.containers[0].ports!.append(ContainerPort(name: "http", containerPort: n == "b" ? 8080 : 9090))
    return q
}
private let hostNetPod: Pod = {
    var p = F.pod("x", "h", ip: IPAddress("10.9.9.9")!)
    p.spec!.hostNetwork = true
    p.spec!.nodeName = "node-2"
    return p
}()
private func c(_ rule: String, _ nps: [NetworkPolicy], pods: [Pod]? = nil, namespaces: [Namespace]? = nil,
               _ from: String, _ to: String, _ port: UInt16, _ allowed: Bool) -> ModelCase {
    ModelCase(rule: rule, nps: nps, pods: pods, namespaces: namespaces, flow: F.flow(from, to, port), allowed: allowed)
}
private func c(_ rule: String, _ nps: [NetworkPolicy], _ from: String, _ to: String, _ port: UInt16,
               _ proto: L4Proto, _ allowed: Bool) -> ModelCase {
    ModelCase(rule: rule, nps: nps, flow: F.flow(from, to, port, proto), allowed: allowed)
}
private func c(_ rule: String, _ nps: [NetworkPolicy], _ cnps: [ClusterNetworkPolicy],
               _ from: String, _ to: String, _ port: UInt16, _ allowed: Bool) -> ModelCase {
    ModelCase(rule: rule, nps: nps, cnps: cnps, flow: F.flow(from, to, port), allowed: allowed)
}

let modelCases: [ModelCase] = [
    c("no policy: default allow", [], "x/a", "y/b", 80, true),
    c("podSelector {} isolates every pod of its namespace for ingress", [denyIngressX], "y/a", "x/b", 80, false),
    c("isolation is per direction: ingress-only policy leaves egress open", [denyIngressX], "x/a", "y/b", 80, true),
    c("a policy isolates only its own namespace", [denyIngressX], "x/a", "y/a", 80, true),
    c("policyTypes default: egress rules also isolate ingress",
      [F.np("x", "eg", egress: [F.to()])], "y/a", "x/a", 80, false),
    c("policyTypes default: egress rules make an egress policy", [F.np("x", "eg", egress: [F.to(ports: [F.port(81)])])],
      "x/a", "y/a", 80, false),
    c("policyTypes [Egress]: listed ingress rules do not isolate ingress",
      [F.np("x", "e", ingress: [], egress: [], types: ["Egress"])], "y/a", "x/a", 80, true),
    c("ingress: [] denies all ingress", [F.np("x", "p", ingress: [])], "x/b", "x/a", 80, false),
    c("ingress: [{}] allows all ingress", [F.np("x", "p", ingress: [F.from()])], "z/c", "x/a", 81, true),
    c("egress: [] with policyTypes Egress denies all egress",
      [F.np("x", "p", egress: [], types: ["Egress"])], "x/a", "y/a", 80, false),
    c("default deny both directions: egress side", [F.np("y", "p", types: ["Ingress", "Egress"])], "y/a", "x/a", 80, false),
    c("default deny both directions: ingress side", [F.np("y", "p", types: ["Ingress", "Egress"])], "x/a", "y/a", 80, false),
    c("egress of the source and ingress of the destination must both allow",
      [F.np("x", "e", egress: [F.to()], types: ["Egress"]), F.np("y", "d", ingress: [])], "x/a", "y/a", 80, false),
    c("podSelector-only peer means the policy's namespace",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]))])])], "x/b", "x/a", 80, true),
    c("podSelector-only peer does not match other namespaces",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]))])])], "y/b", "x/a", 80, false),
    c("namespaceSelector-only peer: every pod there",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])])], "y/c", "x/a", 80, true),
    c("namespaceSelector-only peer: other namespaces denied",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])])], "z/c", "x/a", 80, false),
    c("pod+namespace selectors in one peer are AND'ed (match)",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]), ns: F.sel(["ns": "y"]))])])], "y/b", "x/a", 80, true),
    c("pod+namespace selectors in one peer are AND'ed (pod differs)",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]), ns: F.sel(["ns": "y"]))])])], "y/c", "x/a", 80, false),
    c("pod+namespace selectors in one peer are AND'ed (namespace differs)",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.sel(["pod": "b"]), ns: F.sel(["ns": "y"]))])])], "x/b", "x/a", 80, false),
    c("peers are OR'ed",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"])), F.peer(pods: F.sel(["pod": "b"]))])])], "x/b", "x/a", 80, true),
    c("empty namespaceSelector selects all namespaces",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.all)])])], "z/c", "x/a", 80, true),
    c("namespaces are selectable by kubernetes.io/metadata.name",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["kubernetes.io/metadata.name": "z"]))])])], "z/a", "x/a", 80, true),
    c("matchExpressions NotIn",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: LabelSelector(matchExpressions: [.init(key: "pod", operator: "NotIn", values: ["b"])]))])])],
      "x/b", "x/a", 80, false),
    c("matchExpressions In",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: LabelSelector(matchExpressions: [.init(key: "pod", operator: "In", values: ["b", "c"])]))])])],
      "x/c", "x/a", 80, true),
    c("numbered port: listed port allowed", [F.np("x", "p", ingress: [F.from(ports: [F.port(80)])])], "y/a", "x/a", 80, true),
    c("numbered port: other port denied", [F.np("x", "p", ingress: [F.from(ports: [F.port(80)])])], "y/a", "x/a", 81, false),
    c("ports: [{}] means every TCP port", [F.np("x", "p", ingress: [F.from(ports: [F.port(nil)])])], "y/a", "x/a", 81, true),
    c("ports: [{}] does not allow UDP", [F.np("x", "p", ingress: [F.from(ports: [F.port(nil)])])], "y/a", "x/a", 80, .udp, false),
    c("protocol-only rule: every UDP port", [F.np("x", "p", ingress: [F.from(ports: [F.port(nil, "UDP")])])], "y/a", "x/a", 81, .udp, true),
    c("protocol-only rule: TCP denied", [F.np("x", "p", ingress: [F.from(ports: [F.port(nil, "UDP")])])], "y/a", "x/a", 81, false),
    c("named port resolved on the destination", [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-81-tcp")])])], "y/a", "x/a", 81, true),
    c("named port: other port denied", [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-81-tcp")])])], "y/a", "x/a", 80, false),
    c("named port with its protocol", [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-80-udp", "UDP")])])], "y/a", "x/a", 80, .udp, true),
    c("named port with the wrong protocol matches nothing",
      [F.np("x", "p", ingress: [F.from(ports: [F.port("serve-80-udp")])])], "y/a", "x/a", 80, .udp, false),
    c("endPort: inside the range", [F.np("x", "p", ingress: [F.from(ports: [F.port(80, end: 81)])])], "y/a", "x/a", 81, true),
    c("endPort: outside the range", [F.np("x", "p", ingress: [F.from(ports: [F.port(80, end: 81)])])], "y/a", "x/a", 82, false),
    c("SCTP port", [F.np("x", "p", ingress: [F.from(ports: [F.port(80, "SCTP")])])], "y/a", "x/a", 80, .sctp, true),
    c("SCTP rule does not allow TCP", [F.np("x", "p", ingress: [F.from(ports: [F.port(80, "SCTP")])])], "y/a", "x/a", 80, false),
    c("ipBlock matches pod addresses", [F.np("x", "p", ingress: [F.from([F.block("10.244.0.20/30")])])], "y/b", "x/a", 80, true),
    c("ipBlock except removes addresses",
      [F.np("x", "p", ingress: [F.from([F.block("10.244.0.0/24", except: ["10.244.0.32/30"])])])], "z/b", "x/a", 80, false),
    c("ipBlock except leaves the rest",
      [F.np("x", "p", ingress: [F.from([F.block("10.244.0.0/24", except: ["10.244.0.32/30"])])])], "z/a", "x/a", 80, true),
    c("additivity beats except: another peer allows the excepted pod",
      [F.np("x", "p", ingress: [F.from([F.block("10.244.0.0/24", except: ["10.244.0.32/30"]), F.peer(ns: F.sel(["ns": "z"]))])])],
      "z/b", "x/a", 80, true),
    c("ipBlock matches external addresses", [F.np("x", "p", ingress: [F.from([F.block("192.168.77.0/24")])])], "ext", "x/a", 80, true),
    c("selectors never match external addresses", [F.np("x", "p", ingress: [F.from([F.peer(ns: F.all)])])], "ext", "x/a", 80, false),
    c("egress ipBlock to an external address",
      [F.np("x", "p", egress: [F.to([F.block("192.168.77.0/24")])], types: ["Egress"])], "x/a", "ext", 443, true),
    c("egress default deny blocks external", [F.np("x", "p", egress: [], types: ["Egress"])], "x/a", "ext", 443, false),
    c("egress named port resolved on the destination pod",
      [F.np("x", "p", egress: [F.to([F.peer(pods: F.all, ns: F.sel(["ns": "y"]))], ports: [F.port("http")])], types: ["Egress"])],
      pods: http, "x/a", "y/b", 8080, true),
    c("egress named port: never a cross product",
      [F.np("x", "p", egress: [F.to([F.peer(pods: F.all, ns: F.sel(["ns": "y"]))], ports: [F.port("http")])], types: ["Egress"])],
      pods: http, "x/a", "y/b", 9090, false),
    c("egress named port: a pod without the name",
      [F.np("x", "p", egress: [F.to([F.peer(pods: F.all, ns: F.sel(["ns": "y"]))], ports: [F.port("http")])], types: ["Egress"])],
      pods: http, "x/a", "y/a", 8080, false),
    c("stacked policies are a union (first)",
      [F.np("x", "p1", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])]),
       F.np("x", "p2", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))], ports: [F.port(81)])])], "y/a", "x/a", 80, true),
    c("stacked policies are a union (second, port)",
      [F.np("x", "p1", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])]),
       F.np("x", "p2", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))], ports: [F.port(81)])])], "z/a", "x/a", 81, true),
    c("stacked policies: neither allows",
      [F.np("x", "p1", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])]),
       F.np("x", "p2", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))], ports: [F.port(81)])])], "z/a", "x/a", 80, false),
    c("traffic from the pod's own node is always allowed", [denyIngressX], "node", "x/a", 80, true),
    c("hostNetwork pods are not pod peers",
      [F.np("x", "p", ingress: [F.from([F.peer(pods: F.all)])])], pods: F.pods + [hostNetPod], "10.9.9.9", "x/a", 80, false),
    c("hostNetwork pods are not selected", [F.np("x", "p", egress: [], types: ["Egress"])],
      pods: F.pods + [hostNetPod], "10.9.9.9", "y/a", 80, true),
    c("namespace relabel: selector matches the new label",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["team": "blue"]))])])],
      namespaces: [F.namespace("x"), F.namespace("y", labels: ["team": "blue"]), F.namespace("z")], "y/a", "x/a", 80, true),
    c("namespace relabel: old label no longer matches",
      [F.np("x", "p", ingress: [F.from([F.peer(ns: F.sel(["ns": "y"]))])])],
      namespaces: [F.namespace("x"), F.namespace("y", labels: ["team": "blue"]), F.namespace("z")], "y/a", "x/a", 80, false),
    c("CNP Admin Deny beats a NetworkPolicy allow",
      [F.np("x", "all", ingress: [F.from()])],
      [F.cnp("deny-y", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "y"]))])],
      "y/a", "x/a", 80, false),
    c("CNP Admin Accept beats NetworkPolicy isolation", [denyIngressX],
      [F.cnp("acc-z", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.sel(["ns": "z"]))])],
      "z/a", "x/a", 80, true),
    c("CNP Admin: lower priority number first", [],
      [F.cnp("deny", priority: 10, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "y"]))]),
       F.cnp("accept", priority: 5, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.sel(["ns": "y"]))])],
      "y/a", "x/a", 80, true),
    c("CNP Admin Pass hands over to NetworkPolicy", [denyIngressX],
      [F.cnp("pass", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Pass", fromNamespaces: F.sel(["ns": "y"]))]),
       F.cnp("accept", priority: 2, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.sel(["ns": "y"]))])],
      "y/a", "x/a", 80, false),
    c("CNP Admin Pass skips later Admin rules", [],
      [F.cnp("pass", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Pass", fromNamespaces: F.sel(["ns": "y"]))]),
       F.cnp("deny", priority: 2, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.all)])],
      "y/a", "x/a", 80, true),
    c("CNP protocols narrow a rule", [],
      [F.cnp("deny80", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "y"]), tcp: 80)])],
      "y/a", "x/a", 81, true),
    c("CNP Baseline Deny applies when no NetworkPolicy selects the pod", [],
      [F.cnp("base", tier: "Baseline", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "z"]))])],
      "z/a", "x/a", 80, false),
    c("CNP Baseline comes after NetworkPolicy",
      [F.np("x", "allow-z", ingress: [F.from([F.peer(ns: F.sel(["ns": "z"]))])])],
      [F.cnp("base", tier: "Baseline", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Deny", fromNamespaces: F.sel(["ns": "z"]))])],
      "z/a", "x/a", 80, true),
    c("CNP Baseline Accept does not lift NetworkPolicy isolation", [denyIngressX],
      [F.cnp("base", tier: "Baseline", priority: 1, subject: F.sel(["ns": "x"]), ingress: [F.cnpIn("Accept", fromNamespaces: F.all)])],
      "z/a", "x/a", 80, false),
    c("CNP Admin egress networks Deny", [],
      [F.cnp("eg", priority: 1, subject: F.sel(["ns": "x"]), egress: [F.cnpEg("Deny", networks: ["10.244.0.30/30"])])],
      "x/a", "z/a", 80, false),
    c("CNP Admin egress networks leave other addresses", [],
      [F.cnp("eg", priority: 1, subject: F.sel(["ns": "x"]), egress: [F.cnpEg("Deny", networks: ["10.244.0.30/30"])])],
      "x/a", "y/a", 80, true),
]

@Test(arguments: modelCases)
func evaluator(_ c: ModelCase) {
    let m = Fixture.model(c.nps, c.cnps, pods: c.pods, namespaces: c.namespaces)
    let d = m.decide(c.flow)
    #expect(d.allowed == c.allowed, "\(d)")
}

@Test func explanationNamesTheDecidingRule() {
    let m = Fixture.model([denyIngressX])
    let d = m.decide(Fixture.flow("y/a", "x/b", 80))
    #expect(d.ingress.reason == "isolated by np/x/deny-in; no rule allows")
    #expect(d.egress.reason == "no policy applies")
}
