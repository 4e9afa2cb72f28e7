@testable import Controllers
import KubeAPI
import Testing

@Suite struct SchedulingAlgorithmTests {
    func node(_ name: String, cpu: String = "2", memory: String = "4Gi", pods: String = "110", labels: [String: String] = [:],
              ready: Bool = true, taints: [(String, String)] = [], unschedulable: Bool = false) -> Node {
        var n = Node(metadata: ObjectMeta(name: name, labels: labels.merging(["kubernetes.io/hostname": name]) { a, _ in a }))
        var spec = NodeSpec()
        spec.unschedulable = unschedulable
        spec.taints = taints.map { var t = Taint(); t.key = $0.0; t.effect = $0.1; return t }
        n.spec = spec
        var status = NodeStatus()
        status.allocatable = ["cpu": Quantity(parsing: cpu)!, "memory": Quantity(parsing: memory)!, "pods": Quantity(parsing: pods)!]
        var c = NodeCondition(); c.type = "Ready"; c.status = ready ? "True" : "False"
        status.conditions = [c]
        n.status = status
        return n
    }

    func pod(_ name: String, cpu: String? = nil, labels: [String: String] = [:], priority: Int32? = nil, hostPort: Int32? = nil) -> Pod {
        var p = Pod(metadata: ObjectMeta(name: name, namespace: "ns", labels: labels))
        var spec = PodSpec()
        var c = Container(); c.name = "c"
        if let cpu { var r = ResourceRequirements(); r.requests = ["cpu": Quantity(parsing: cpu)!]; c.resources = r }
        if let hostPort { var cp = ContainerPort(); cp.containerPort = 80; cp.hostPort = hostPort; c.ports = [cp] }
        spec.containers = [c]
        spec.priority = priority
        p.spec = spec
        return p
    }

    let s = SchedulingAlgorithm()

    @Test func picksTheLeastLoadedFeasibleNode() {
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("a"), pods: [pod("x", cpu: "1500m")]),
                     SchedulingAlgorithm.NodeInfo(node: node("b"), pods: [pod("y", cpu: "500m")])]
        #expect(s.schedule(pod("p", cpu: "500m"), on: nodes) == .bind("b"))
        #expect(s.schedule(pod("p", cpu: "1500m"), on: nodes) == .bind("b"), "fits b exactly, not a")
        guard case .unschedulable(let reasons) = s.schedule(pod("p", cpu: "3"), on: nodes) else { Issue.record("expected unschedulable"); return }
        #expect(reasons == ["a": "Insufficient cpu", "b": "Insufficient cpu"])
        #expect(SchedulingAlgorithm.message(reasons, nodeCount: 2) == "0/2 nodes are available: 2 Insufficient cpu.")
    }

    @Test func taintsNotReadyAndUnschedulableNodesAreSkipped() {
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("tainted", taints: [("dedicated", "NoSchedule")]), pods: []),
                     SchedulingAlgorithm.NodeInfo(node: node("down", ready: false), pods: []),
                     SchedulingAlgorithm.NodeInfo(node: node("cordoned", unschedulable: true), pods: []),
                     SchedulingAlgorithm.NodeInfo(node: node("ok"), pods: [])]
        #expect(s.schedule(pod("p"), on: nodes) == .bind("ok"))
        var tolerant = pod("t")
        var toleration = Toleration(); toleration.key = "dedicated"; toleration.operator = "Exists"
        tolerant.spec?.tolerations = [toleration]
        #expect(s.schedule(tolerant, on: Array(nodes.prefix(1))) == .bind("tainted"))
    }

    @Test func nodeSelectorAndRequiredAffinity() {
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("a", labels: ["disk": "ssd", "zone": "z1"]), pods: []),
                     SchedulingAlgorithm.NodeInfo(node: node("b", labels: ["disk": "hdd", "zone": "z2"]), pods: [])]
        var p = pod("p")
        p.spec?.nodeSelector = ["disk": "hdd"]
        #expect(s.schedule(p, on: nodes) == .bind("b"))
        var q = pod("q")
        var affinity = Affinity()
        var nodeAffinity = NodeAffinity()
        var selector = NodeSelector()
        var term = NodeSelectorTerm()
        var requirement = NodeSelectorRequirement(); requirement.key = "zone"; requirement.operator = "In"; requirement.values = ["z1"]
        term.matchExpressions = [requirement]
        selector.nodeSelectorTerms = [term]
        nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = selector
        affinity.nodeAffinity = nodeAffinity
        q.spec?.affinity = affinity
        #expect(s.schedule(q, on: nodes) == .bind("a"))
    }

    @Test func hostPortsConflict() {
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("a"), pods: [pod("x", hostPort: 8080)]),
                     SchedulingAlgorithm.NodeInfo(node: node("b", cpu: "1"), pods: [pod("y", cpu: "900m")])]
        #expect(s.schedule(pod("p", hostPort: 8080), on: nodes) == .bind("b"))
    }

    @Test func requiredPodAntiAffinitySpreadsReplicas() {
        var p = pod("web-2", labels: ["app": "web"])
        var anti = PodAffinity()
        var term = PodAffinityTerm()
        term.labelSelector = LabelSelector(matchLabels: ["app": "web"])
        term.topologyKey = "kubernetes.io/hostname"
        anti.requiredDuringSchedulingIgnoredDuringExecution = [term]
        var affinity = Affinity(); affinity.podAntiAffinity = anti
        p.spec?.affinity = affinity
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("a"), pods: [pod("web-1", labels: ["app": "web"])]),
                     SchedulingAlgorithm.NodeInfo(node: node("b"), pods: [pod("busy", cpu: "1500m")])]
        #expect(s.schedule(p, on: nodes) == .bind("b"))
        #expect(s.schedule(p, on: Array(nodes.prefix(1))) == .unschedulable(["a": "node(s) didn't match pod anti-affinity rules"]))
    }

    @Test func higherPriorityPreemptsTheLowestPriorityPods() {
        let nodes = [SchedulingAlgorithm.NodeInfo(node: node("a"), pods: [pod("low", cpu: "1", priority: 0), pod("mid", cpu: "1", priority: 5)]),
                     SchedulingAlgorithm.NodeInfo(node: node("b"), pods: [pod("high", cpu: "2", priority: 100)])]
        #expect(s.schedule(pod("urgent", cpu: "1", priority: 10), on: nodes) == .preempt(node: "a", victims: ["ns/low"]))
        #expect(s.schedule(pod("meek", cpu: "1", priority: 0), on: nodes) == .unschedulable(["a": "Insufficient cpu", "b": "Insufficient cpu"]))
        var never = pod("never", cpu: "1", priority: 10)
        never.spec?.preemptionPolicy = "Never"
        if case .preempt = s.schedule(never, on: nodes) { Issue.record("preemptionPolicy Never must not preempt") }
    }
}
