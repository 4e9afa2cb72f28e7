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
    func poll(timeout: Double = 30, _ condition: () async throws -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
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

        for name in ["n1", "n2"] {
            var created = try await client.create(node(name))
            created.status = node(name).status
            _ = try await client.updateStatus(created)
        }
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
        running.cancel()
        _ = await running.result
        await client.shutdown()
        await server.shutdown()
    }
}
