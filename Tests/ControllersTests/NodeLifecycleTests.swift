import Controllers
import KubeAPI
import Testing

@Suite struct NodeLifecycleTests {
    func node(heartbeat: Int64?) -> Node {
        var n = Node(metadata: ObjectMeta(name: "n1"))
        n.spec = NodeSpec()
        var status = NodeStatus()
        var ready = NodeCondition(); ready.type = "Ready"; ready.status = "True"
        ready.lastHeartbeatTime = heartbeat.map { Time(secondsSince1970: $0) }
        status.conditions = [ready]
        n.status = status
        return n
    }

    func lease(renewed: Int64) -> Lease {
        var l = Lease(metadata: ObjectMeta(name: "n1", namespace: "kube-node-lease"))
        var spec = Lease.Spec()
        spec.renewTime = MicroTime(microsecondsSince1970: renewed * 1_000_000)
        l.spec = spec
        return l
    }

    func pod(_ name: String, toleration: Int64?? = nil) -> Pod {
        var p = Pod(metadata: ObjectMeta(name: name, namespace: "ns"))
        var spec = PodSpec()
        spec.nodeName = "n1"
        if let toleration {
            var t = Toleration(); t.key = NodeLifecycle.unreachable; t.operator = "Exists"; t.effect = "NoExecute"
            t.tolerationSeconds = toleration
            spec.tolerations = [t]
        }
        p.spec = spec
        return p
    }

    @Test func healthyNodeIsLeftAlone() {
        let d = NodeLifecycle().decide(node(heartbeat: 100), lease: lease(renewed: 990), pods: [pod("a")], now: Time(secondsSince1970: 1000))
        #expect(d.node == nil)
        #expect(d.evict.isEmpty)
    }

    @Test func silentNodeBecomesUnknownAndTainted() {
        let d = NodeLifecycle().decide(node(heartbeat: 100), lease: lease(renewed: 950), pods: [pod("a")], now: Time(secondsSince1970: 1000))
        let updated = try! #require(d.node)
        #expect(updated.status?.conditions?.first?.status == "Unknown")
        #expect(updated.status?.conditions?.first?.reason == "NodeStatusUnknown")
        #expect(Set(updated.spec?.taints?.map(\.effect) ?? []) == ["NoSchedule", "NoExecute"])
        #expect(d.evict.isEmpty, "just tainted: the timeout starts now")
    }

    @Test func podsAreEvictedPastTheirToleration() {
        var n = node(heartbeat: 100)
        var taint = Taint(key: NodeLifecycle.unreachable, effect: "NoExecute"); taint.timeAdded = Time(secondsSince1970: 1000)
        n.spec?.taints = [taint, Taint(key: NodeLifecycle.unreachable, effect: "NoSchedule")]
        let pods = [pod("default"), pod("short", toleration: .some(10)), pod("forever", toleration: .some(nil))]
        let l = NodeLifecycle()
        #expect(l.decide(n, lease: nil, pods: pods, now: Time(secondsSince1970: 1005)).evict.isEmpty)
        #expect(l.decide(n, lease: nil, pods: pods, now: Time(secondsSince1970: 1010)).evict == ["short"])
        #expect(Set(l.decide(n, lease: nil, pods: pods, now: Time(secondsSince1970: 1300)).evict) == ["default", "short"])
    }

    @Test func recoveredNodeLosesTheTaint() {
        var n = node(heartbeat: 100)
        n.spec?.taints = [Taint(key: NodeLifecycle.unreachable, effect: "NoExecute")]
        let d = NodeLifecycle().decide(n, lease: lease(renewed: 1000), pods: [], now: Time(secondsSince1970: 1001))
        #expect(d.node?.spec?.taints == nil)
    }
}
