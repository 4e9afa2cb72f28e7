@testable import Controllers
import KubeAPI
import Testing

@Suite struct ReplicaSetReconcilerTests {
    func rs(replicas: Int32) -> ReplicaSet {
        var r = ReplicaSet(metadata: ObjectMeta(name: "web-abc", namespace: "ns"))
        r.metadata.uid = "rs-uid"
        r.metadata.generation = 3
        var spec = ReplicaSet.Spec()
        spec.replicas = replicas
        spec.selector = LabelSelector(matchLabels: ["app": "web"])
        var template = PodTemplateSpec()
        template.metadata = ObjectMeta(labels: ["app": "web"])
        var podSpec = PodSpec()
        var c = Container(); c.name = "c"; c.image = "x"
        podSpec.containers = [c]
        template.spec = podSpec
        spec.template = template
        r.spec = spec
        return r
    }

    func pod(_ name: String, owner: String = "rs-uid", phase: String = "Running", ready: Bool = true, node: String? = "n1",
             created: Int64 = 100, deleting: Bool = false) -> Pod {
        var p = Pod(metadata: ObjectMeta(name: name, namespace: "ns", labels: ["app": "web"]))
        p.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: owner, controller: true)]
        p.metadata.creationTimestamp = Time(secondsSince1970: created)
        if deleting { p.metadata.deletionTimestamp = Time(secondsSince1970: 1) }
        var spec = PodSpec()
        spec.nodeName = node
        p.spec = spec
        var status = PodStatus()
        status.phase = phase
        var cond = PodCondition(); cond.type = "Ready"; cond.status = ready ? "True" : "False"
        status.conditions = [cond]
        p.status = status
        return p
    }

    @Test func createsMissingReplicasFromTheTemplate() {
        let plan = ReplicaSetReconciler().reconcile(rs(replicas: 3), pods: [pod("a"), pod("x", owner: "other"), pod("f", phase: "Failed"),
                                                                            pod("d", deleting: true)])
        #expect(plan.create.count == 2, "a counts; another owner's, finished and deleting pods do not")
        let new = plan.create[0]
        #expect(new.metadata.generateName == "web-abc-")
        #expect(new.metadata.labels == ["app": "web"])
        #expect(new.metadata.ownerReferences?.first?.uid == "rs-uid")
        #expect(new.metadata.ownerReferences?.first?.controller == true)
        #expect(new.spec?.containers.first?.image == "x")
        #expect(plan.status.replicas == 1)
        #expect(plan.status.terminatingReplicas == 1)
        #expect(plan.status.observedGeneration == 3)
    }

    @Test func deletesTheLeastUsefulPodsFirst() {
        let pods = [pod("old-ready", created: 1), pod("new-ready", created: 50), pod("notready", ready: false),
                    pod("pending", phase: "Pending", ready: false), pod("unscheduled", phase: "Pending", ready: false, node: nil)]
        let plan = ReplicaSetReconciler().reconcile(rs(replicas: 1), pods: pods)
        #expect(plan.delete == ["unscheduled", "pending", "notready", "new-ready"])
        #expect(plan.create.isEmpty)
        #expect(plan.status.readyReplicas == 2)
    }

    @Test func burstLimitsOnePass() {
        let plan = ReplicaSetReconciler(burst: 10).reconcile(rs(replicas: 100), pods: [])
        #expect(plan.create.count == 10)
    }

    @Test func minReadySecondsDelaysAvailability() {
        var r = rs(replicas: 1)
        r.spec?.minReadySeconds = 30
        var p = pod("a")
        p.status?.conditions?[0].lastTransitionTime = Time(secondsSince1970: 1000)
        #expect(ReplicaSetReconciler().reconcile(r, pods: [p], now: Time(secondsSince1970: 1010)).status.availableReplicas == 0)
        #expect(ReplicaSetReconciler().reconcile(r, pods: [p], now: Time(secondsSince1970: 1031)).status.availableReplicas == 1)
    }
}

@Suite struct DeploymentReconcilerTests {
    func deployment(replicas: Int32 = 4, image: String = "v1", strategy: String? = nil) -> Deployment {
        var d = Deployment(metadata: ObjectMeta(name: "web", namespace: "ns"))
        d.metadata.uid = "d-uid"
        var spec = Deployment.Spec()
        spec.replicas = replicas
        spec.selector = LabelSelector(matchLabels: ["app": "web"])
        var template = PodTemplateSpec()
        template.metadata = ObjectMeta(labels: ["app": "web"])
        var podSpec = PodSpec()
        var c = Container(); c.name = "c"; c.image = image
        podSpec.containers = [c]
        template.spec = podSpec
        spec.template = template
        if let strategy { var s = Deployment.Strategy(); s.type = strategy; spec.strategy = s }
        d.spec = spec
        return d
    }

    /// Applies a plan as the API and the ReplicaSet controller would, with every pod available at once.
    func settle(_ d: Deployment, _ sets: [ReplicaSet], _ plan: DeploymentReconciler.Plan, available: Bool = true) -> [ReplicaSet] {
        var result = sets.filter { !plan.delete.contains($0.name) }
        if var created = plan.create { created.metadata.uid = created.name + "-uid"; result.append(created) }
        for i in result.indices {
            if let n = plan.scale[result[i].name] { result[i].spec?.replicas = n }
            if let rev = plan.revision[result[i].name] { result[i].metadata.annotations?[DeploymentReconciler.revisionAnnotation] = rev }
            var status = ReplicaSet.Status()
            status.replicas = result[i].spec?.replicas ?? 0
            status.availableReplicas = available ? status.replicas : 0
            status.readyReplicas = status.availableReplicas
            result[i].status = status
        }
        return result
    }

    @Test func firstRolloutCreatesAReplicaSetAtFullSize() {
        let d = deployment()
        let plan = DeploymentReconciler().reconcile(d, replicaSets: [])
        let rs = try! #require(plan.create)
        #expect(rs.name == "web-" + DeploymentReconciler.templateHash(d.spec!.template))
        #expect(rs.spec?.replicas == 4)
        #expect(rs.metadata.annotations?["deployment.kubernetes.io/revision"] == "1")
        #expect(rs.spec?.selector.matchLabels?["pod-template-hash"] != nil)
        #expect(rs.spec?.template?.metadata?.labels?["pod-template-hash"] == rs.spec?.selector.matchLabels?["pod-template-hash"])
        #expect(rs.metadata.ownerReferences?.first?.uid == "d-uid")
    }

    @Test func rollingUpdateNeverExceedsSurgeNorDropsBelowAvailability() {
        var d = deployment(replicas: 4, image: "v1")
        let r = DeploymentReconciler()
        var sets = settle(d, [], r.reconcile(d, replicaSets: []))
        d = deployment(replicas: 4, image: "v2")
        // 25% of 4: surge 1, unavailable 1. New pods become available only on the next pass.
        var steps = 0
        while steps < 20 {
            let plan = r.reconcile(d, replicaSets: sets)
            if plan.create == nil && plan.scale.isEmpty { break }
            let unsettled = settle(d, sets, plan, available: false)
            let total = unsettled.reduce(0) { $0 + Int($1.spec?.replicas ?? 0) }
            #expect(total <= 5, "desired 4 + surge 1")
            // Availability during the step: old ReplicaSets' available pods that were not cut.
            let availableNow = unsettled.filter { $0.name != (plan.create?.name ?? "") }.reduce(0) { acc, rs in
                let before = sets.first { $0.name == rs.name }
                return acc + min(Int(rs.spec?.replicas ?? 0), Int(before?.status?.availableReplicas ?? 0))
            }
            #expect(availableNow >= 3, "desired 4 - maxUnavailable 1")
            sets = settle(d, sets, plan)
            steps += 1
        }
        let new = sets.first { DeploymentReconciler.templateHash(d.spec!.template) == $0.spec?.template?.metadata?.labels?["pod-template-hash"] }
        #expect(new?.spec?.replicas == 4)
        #expect(sets.filter { $0.name != new?.name }.allSatisfy { $0.spec?.replicas == 0 })
        #expect(new?.metadata.annotations?["deployment.kubernetes.io/revision"] == "2")
        let status = r.reconcile(d, replicaSets: sets).status
        #expect(status.updatedReplicas == 4)
        #expect(status.availableReplicas == 4)
        #expect(status.conditions?.first { $0.type == "Available" }?.status == "True")
    }

    @Test func rollbackReusesTheOldReplicaSetWithANewRevision() {
        let r = DeploymentReconciler()
        var d = deployment(image: "v1")
        var sets = settle(d, [], r.reconcile(d, replicaSets: []))
        d = deployment(image: "v2")
        for _ in 0..<10 { sets = settle(d, sets, r.reconcile(d, replicaSets: sets)) }
        d = deployment(image: "v1")
        let plan = r.reconcile(d, replicaSets: sets)
        #expect(plan.create == nil, "the v1 ReplicaSet is reused")
        let v1 = sets.first { $0.spec?.template?.spec?.containers.first?.image == "v1" }!
        #expect(plan.revision[v1.name] == "3")
    }

    @Test func recreateScalesOldToZeroBeforeTheNewOne() {
        let r = DeploymentReconciler()
        var d = deployment(image: "v1", strategy: "Recreate")
        var sets = settle(d, [], r.reconcile(d, replicaSets: []))
        d = deployment(image: "v2", strategy: "Recreate")
        let first = r.reconcile(d, replicaSets: sets, oldPodsRunning: 4)
        #expect(first.create?.spec?.replicas == 0)
        #expect(first.scale.values.allSatisfy { $0 == 0 })
        sets = settle(d, sets, first)
        let stillRunning = r.reconcile(d, replicaSets: sets, oldPodsRunning: 2)
        #expect(stillRunning.scale.isEmpty, "waits for the old pods to go")
        let gone = r.reconcile(d, replicaSets: sets, oldPodsRunning: 0)
        #expect(gone.scale.values.first == 4)
    }

    @Test func historyBeyondTheLimitIsDeleted() {
        let r = DeploymentReconciler()
        var d = deployment(replicas: 1)
        d.spec?.revisionHistoryLimit = 1
        var sets: [ReplicaSet] = []
        for version in 1...4 {
            d = { var x = deployment(replicas: 1, image: "v\(version)"); x.spec?.revisionHistoryLimit = 1; return x }()
            for _ in 0..<6 { sets = settle(d, sets, r.reconcile(d, replicaSets: sets)) }
        }
        #expect(sets.count == 2, "the current one and one old: \(sets.map(\.name))")
    }

    @Test func percentagesRound() {
        #expect(DeploymentReconciler.resolve(.string("25%"), total: 10, roundUp: true) == 3)
        #expect(DeploymentReconciler.resolve(.string("25%"), total: 10, roundUp: false) == 2)
        #expect(DeploymentReconciler.resolve(.int(2), total: 10, roundUp: false) == 2)
    }
}
