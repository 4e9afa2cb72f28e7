import APIServer
import Controllers
import Foundation
import KubeAPI
import KubeClient
import NetAddr
import Store
import Testing
import TestSupport

/// The controllers and the scheduler against the real API server (in process, plain HTTP),
/// with a test standing in for the kubelets (it writes pod IPs and readiness).
@Suite(.serialized) struct ControlPlaneTests {
    /// Tries `condition` up to timeout/50 ms times (a count, not a deadline: see KubeClientTests' poll).
    func poll(timeout: Double = 30, _ condition: () async throws -> Bool) async -> Bool {
        for _ in 0..<Int(timeout * 20) {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func node(_ name: String) -> Node {
        var n = Node(metadata: ObjectMeta(name: name, labels: ["kubernetes.io/hostname": name]))
        var status = NodeStatus()
        status.allocatable = ["cpu": Quantity(parsing: "2")!, "memory": Quantity(parsing: "4Gi")!, "pods": Quantity(parsing: "110")!]
        var ready = NodeCondition(); ready.type = "Ready"; ready.status = "True"
        status.conditions = [ready]
        n.status = status
        n.spec = NodeSpec()
        return n
    }

    /// Creates a node and sets its status (retrying when node IPAM wrote it in between).
    func addReadyNode(_ client: KubeClient, _ name: String) async throws {
        _ = try await client.create(node(name))
        for _ in 0..<20 {
            var current = try await client.get(Node.self, name: name)
            current.status = node(name).status
            do { _ = try await client.updateStatus(current); return } catch let error as KubeClientError where error.isConflict { continue }
        }
    }

    @Test func deploymentBecomesScheduledPodsBehindAnEndpointSlice() async throws {
        let dir = try ScratchDirectory()
        let store = try SQLiteStore(path: dir.path + "/s.sqlite")
        defer { store.close() }
        let server = APIServer(store: store, configuration: .init(host: "127.0.0.1", port: 0, eventLoopThreads: 1, access: .insecureAdmitAll))
        let port = try await server.start()
        let client = try KubeClient(config: ClientConfig(server: "http://127.0.0.1:\(port)"))
        var managerConfig = ControllerManager.Configuration()
        managerConfig.clusterCIDRs = [IPPrefix("10.244.0.0/16")!]
        let manager = try ControllerManager(client: client, configuration: managerConfig)
        let scheduler = Scheduler(client: client)
        let running = Task { try await withThrowingTaskGroup(of: Void.self) { g in
            g.addTask { try await manager.run() }
            g.addTask { try await scheduler.run() }
            try await g.waitForAll()
        } }
        defer { running.cancel() }

        for name in ["n1", "n2"] { try await addReadyNode(client, name) }
        #expect(await poll { try await client.list(Node.self).items.allSatisfy { ($0.spec?.podCIDRs ?? []).count == 1 } })
        let cidrs = try await client.list(Node.self).items.compactMap { $0.spec?.podCIDR }.sorted()
        #expect(cidrs == ["10.244.0.0/24", "10.244.1.0/24"])

        var deployment = Deployment(metadata: ObjectMeta(name: "web", namespace: "default"))
        var spec = Deployment.Spec()
        spec.replicas = 3
        spec.selector = LabelSelector(matchLabels: ["app": "web"])
        var template = PodTemplateSpec()
        template.metadata = ObjectMeta(labels: ["app": "web"])
        var podSpec = PodSpec()
        var container = Container(); container.name = "c"; container.image = "x"
        var port8080 = ContainerPort(); port8080.name = "http"; port8080.containerPort = 8080
        container.ports = [port8080]
        podSpec.containers = [container]
        template.spec = podSpec
        spec.template = template
        deployment.spec = spec
        _ = try await client.create(deployment)
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "default"))
        var serviceSpec = ServiceSpec()
        serviceSpec.selector = ["app": "web"]
        var servicePort = ServicePort(); servicePort.name = "http"; servicePort.port = 80; servicePort.targetPort = .string("http")
        serviceSpec.ports = [servicePort]
        service.spec = serviceSpec
        _ = try await client.create(service)

        // Three pods, each bound to a node by the scheduler (spread: both nodes used).
        #expect(await poll { try await client.list(Pod.self, namespace: "default").items.filter { !($0.spec?.nodeName ?? "").isEmpty }.count == 3 })
        let pods = try await client.list(Pod.self, namespace: "default").items
        #expect(Set(pods.compactMap { $0.spec?.nodeName }) == ["n1", "n2"])
        #expect(pods.allSatisfy { $0.metadata.ownerReferences?.first?.kind == "ReplicaSet" })

        // The "kubelets" report IPs and readiness: the Service's slice lists them, ready, on port 8080.
        for (i, pod) in pods.enumerated() {
            var updated = pod
            var status = updated.status ?? PodStatus()
            status.phase = "Running"
            var ip = PodIP(); ip.ip = "10.244.\(pod.spec?.nodeName == "n1" ? 0 : 1).\(10 + i)"
            status.podIPs = [ip]
            status.podIP = ip.ip
            var ready = PodCondition(); ready.type = "Ready"; ready.status = "True"
            status.conditions = [ready]
            updated.status = status
            _ = try await client.updateStatus(updated)
        }
        #expect(await poll {
            let slices = try await client.list(EndpointSlice.self, namespace: "default").items.filter { $0.serviceName == "web" }
            return slices.count == 1 && slices[0].endpoints?.count == 3 && slices[0].endpoints!.allSatisfy { $0.conditions?.ready == true }
                && slices[0].ports?.first?.port == 8080
        })
        // Deployment status follows the ReplicaSet's.
        #expect(await poll { try await client.get(Deployment.self, name: "web", namespace: "default").status?.availableReplicas == 3 })

        // Scale to 1: two pods are deleted (gracefully: they are bound), the slice marks them terminating.
        _ = try await client.patch(Deployment.self, name: "web", namespace: "default", patch: ["spec": ["replicas": 1]])
        #expect(await poll {
            try await client.list(Pod.self, namespace: "default").items.filter { $0.metadata.deletionTimestamp == nil }.count == 1
        })
        #expect(await poll {
            let endpoints = try await client.list(EndpointSlice.self, namespace: "default").items.first { $0.serviceName == "web" }?.endpoints ?? []
            return endpoints.filter { $0.conditions?.ready == true }.count == 1 && endpoints.filter { $0.conditions?.terminating == true }.count == 2
        })
        // Deleting the Deployment: garbage collection removes its ReplicaSet and pods.
        try await client.delete(Deployment.self, name: "web", namespace: "default")
        #expect(await poll { try await client.list(ReplicaSet.self, namespace: "default").items.isEmpty })
        #expect(await poll {
            try await client.list(Pod.self, namespace: "default").items.allSatisfy { $0.metadata.deletionTimestamp != nil }
        })
        running.cancel()
        _ = await running.result
        await client.shutdown()
        await server.shutdown()
    }

    /// A node whose heartbeats stop goes Unknown, is tainted, and its pods are evicted and
    /// recreated on the healthy node (short periods configured for the test).
    @Test func silentNodeIsTaintedAndItsPodsMove() async throws {
        let dir = try ScratchDirectory()
        let store = try SQLiteStore(path: dir.path + "/s.sqlite")
        defer { store.close() }
        let server = APIServer(store: store, configuration: .init(host: "127.0.0.1", port: 0, eventLoopThreads: 1, access: .insecureAdmitAll))
        let port = try await server.start()
        let client = try KubeClient(config: ClientConfig(server: "http://127.0.0.1:\(port)"))
        var config = ControllerManager.Configuration()
        config.nodeMonitorPeriod = .milliseconds(200)
        config.nodeMonitorGracePeriod = 2
        config.podEvictionTimeout = 1
        let manager = try ControllerManager(client: client, configuration: config)
        let scheduler = Scheduler(client: client)
        let running = Task { try await withThrowingTaskGroup(of: Void.self) { g in
            g.addTask { try await manager.run() }
            g.addTask { try await scheduler.run() }
            try await g.waitForAll()
        } }
        defer { running.cancel() }
        // Both nodes heartbeat through their Leases; n2 then stops.
        for name in ["n1", "n2"] { try await addReadyNode(client, name) }
        let beating = Task {
            var stopN2At = Date().addingTimeInterval(1_000_000)
            while !Task.isCancelled {
                for name in ["n1", "n2"] where name == "n1" || Date() < stopN2At {
                    var lease = (try? await client.get(Lease.self, name: name, namespace: "kube-node-lease"))
                        ?? Lease(metadata: ObjectMeta(name: name, namespace: "kube-node-lease"))
                    var spec = lease.spec ?? Lease.Spec()
                    spec.holderIdentity = name
                    spec.renewTime = .now()
                    lease.spec = spec
                    if lease.metadata.resourceVersion == nil { _ = try? await client.create(lease) } else { _ = try? await client.update(lease) }
                }
                if stopN2At > Date().addingTimeInterval(100_000), (try? await client.list(Pod.self, namespace: "default").items.filter({ $0.spec?.nodeName == "n2" }).count) ?? 0 > 0 {
                    stopN2At = Date()
                }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        defer { beating.cancel() }
        var rs = ReplicaSet(metadata: ObjectMeta(name: "app", namespace: "default"))
        var spec = ReplicaSet.Spec()
        spec.replicas = 2
        spec.selector = LabelSelector(matchLabels: ["app": "x"])
        var template = PodTemplateSpec()
        template.metadata = ObjectMeta(labels: ["app": "x"])
        var podSpec = PodSpec(); var c = Container(); c.name = "c"; podSpec.containers = [c]
        // Spread the two replicas over the two nodes.
        var anti = PodAffinity(); var term = PodAffinityTerm()
        term.labelSelector = LabelSelector(matchLabels: ["app": "x"]); term.topologyKey = "kubernetes.io/hostname"
        anti.requiredDuringSchedulingIgnoredDuringExecution = [term]
        var affinity = Affinity(); affinity.podAntiAffinity = anti
        podSpec.affinity = affinity
        template.spec = podSpec
        spec.template = template
        rs.spec = spec
        _ = try await client.create(rs)
        let spread = await poll { Set(try await client.list(Pod.self, namespace: "default").items.compactMap { $0.spec?.nodeName }) == ["n1", "n2"] }
        if !spread {
            let pods = (try? await client.list(Pod.self, namespace: "default").items) ?? []
            let nodes = (try? await client.list(Node.self).items) ?? []
            Issue.record("pods not spread: \(pods.map { "\($0.name) node=\($0.spec?.nodeName ?? "-") conds=\(String(describing: $0.status?.conditions?.map { "\($0.type)=\($0.status) \($0.message ?? "")" }))" }) nodes: \(nodes.map { "\($0.name) taints=\(String(describing: $0.spec?.taints?.map(\.key))) ready=\(String(describing: $0.status?.conditions?.map(\.status)))" })")
        }
        // n2 goes silent: Unknown + taints, then its pod is evicted (deleted gracefully).
        #expect(await poll {
            let n2 = try await client.get(Node.self, name: "n2")
            return n2.status?.conditions?.first { $0.type == "Ready" }?.status == "Unknown"
                && n2.spec?.taints?.contains { $0.key == NodeLifecycle.unreachable && $0.effect == "NoExecute" } == true
        })
        #expect(await poll {
            try await client.list(Pod.self, namespace: "default").items.contains { $0.spec?.nodeName == "n2" && $0.metadata.deletionTimestamp != nil }
        })
        // The replacement cannot go to n2 (tainted) nor share n1 (anti-affinity): it waits, marked Unschedulable.
        #expect(await poll {
            try await client.list(Pod.self, namespace: "default").items.contains {
                ($0.spec?.nodeName ?? "").isEmpty && $0.status?.conditions?.contains { $0.type == "PodScheduled" && $0.reason == "Unschedulable" } == true
            }
        })
        #expect(try await client.get(Node.self, name: "n1").spec?.taints == nil, "the healthy node is untouched")
        beating.cancel()
        running.cancel()
        _ = await running.result
        await client.shutdown()
        await server.shutdown()
    }
}
