import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import Kubelet
import NetNS

extension Trellis {
    /// `trellis kubelet`: runs the pods bound to one node as network namespaces and processes.
    struct KubeletCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kubelet",
            abstract: "Run the pods bound to a node: a network namespace per pod (CNI), a process per container.",
            discussion: """
                Trellis runs no container runtime and pulls no images: a container's `image` is ignored and \
                its `command` + `args` (one of them must name a program, looked up on the container's PATH) \
                run as a plain process inside the pod's network namespace, with the container's env and \
                workingDir; stdout and stderr go to ROOT/pods/UID/logs/CONTAINER/RESTARTS.log. \
                Registers the Node (addresses from --node-netns), renews its Lease in kube-node-lease every \
                10 s, and watches pods with spec.nodeName=NODE. Leaves pods running on SIGTERM unless \
                --stop-pods-on-exit; a restarted kubelet adopts (or cleans up) the sandboxes under --root-dir.
                """)

        @Option(name: .long, help: "Kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
        var kubeconfig: String?

        @Option(name: .long, help: "This node's name.")
        var nodeName: String

        @Option(name: .long, help: "The node's network namespace (a name under /var/run/netns or a path); default: the kubelet's own.")
        var nodeNetns: String?

        @Option(name: .long, help: "CNI configuration directory (the first .conflist/.conf/.json by name is used).")
        var cniConfDir: String = "/etc/cni/net.d"

        @Option(name: .long, help: "CNI plugin directories, colon-separated.")
        var cniBinDir: String = "/opt/cni/bin"

        @Option(name: .long, help: "State directory: sandbox records and container logs.")
        var rootDir: String = "/var/lib/trellis/kubelet"

        @Option(name: .long, help: "Seconds to wait for the node's spec.podCIDR before running pods (0: do not wait).")
        var podCIDRTimeout: Int = 30

        @Flag(name: .long, inversion: .prefixedNo,
              help: "Run CNI GC at start with the recorded sandboxes as the valid attachments (the CNI stores must be this node's alone).")
        var cniGc = true

        @Flag(name: .long, help: "Stop every pod (gracefully) when the kubelet exits.")
        var stopPodsOnExit = false

        func run() async throws {
            let node: NetNS?
            if let nodeNetns {
                node = nodeNetns.contains("/") ? try NetNS.open(path: nodeNetns) : try NetNS.open(named: nodeNetns)
            } else {
                node = nil
            }
            try ProcessReaper.shared.becomeSubreaper()
            let client = try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig))
            let facts = try NodeFacts.gather(name: nodeName, node: node)
            var sandbox = PodSandbox(network: CNINetwork(configDirectory: cniConfDir,
                                                         binDirectories: cniBinDir.split(separator: ":").map(String.init),
                                                         node: node),
                                     store: SandboxStore(rootDirectory: rootDir))
            let agent = NodeAgent(client: client, facts: facts)
            log("trellis kubelet: registering node \(nodeName) (\(facts.addresses.joined(separator: ", ")))")
            try await agent.registerNode()
            sandbox.podCIDRs = await agent.waitForPodCIDRs(timeout: podCIDRTimeout)
            let stopPods = stopPodsOnExit
            let configured = sandbox
            let gc = cniGc
            try await runUntilSignalled {
                try await agent.run(sandbox: configured, garbageCollect: gc)
            }
            if stopPods { await agent.stopPods() }
            await client.shutdown()
        }
    }
}

/// The kubelet's side of the API: the Node and its Lease, the pod informer feeding a
/// `PodManager`, and pod status written back through the status subresource.
actor NodeAgent {
    let client: KubeClient
    let facts: NodeFacts
    private var nodeStatus: NodeStatus?
    private var lease: Lease?
    private var manager: PodManager?

    init(client: KubeClient, facts: NodeFacts) {
        self.client = client
        self.facts = facts
    }

    var name: String { facts.name }

    /// Creates the Node if it does not exist, then writes its status (not yet Ready).
    func registerNode() async throws {
        do {
            _ = try await client.get(Node.self, name: name)
        } catch let error as KubeClientError where error.isNotFound {
            var node = Node(metadata: ObjectMeta(name: name, labels: [
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": facts.architecture,
            ]))
            node.spec = NodeSpec()
            do { _ = try await client.create(node) } catch let error as KubeClientError where error.isAlreadyExists {}
        }
        try await postNodeStatus(ready: false)
    }

    /// The node's `spec.podCIDRs` (or `podCIDR`) once the controller-manager has set them.
    func waitForPodCIDRs(timeout: Int) async -> [String] {
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        repeat {
            if let node = try? await client.get(Node.self, name: name) {
                let cidrs = node.spec?.podCIDRs ?? node.spec?.podCIDR.map { [$0] } ?? []
                if !cidrs.isEmpty { log("trellis kubelet: pod CIDRs \(cidrs.joined(separator: ", "))"); return cidrs }
            }
            try? await Task.sleep(for: .seconds(1))
        } while Date() < deadline
        log("trellis kubelet: no podCIDR on node \(name); the CNI configuration's own ranges apply")
        return []
    }

    /// Watches this node's pods into a `PodManager` and keeps the Lease and Node status fresh,
    /// until cancelled.
    func run(sandbox: PodSandbox, garbageCollect: Bool) async throws {
        let factory = SharedInformerFactory(client: client)
        let services = factory.informer(Service.self)
        let pods = SharedInformer<Pod>(client: client, fieldSelector: "spec.nodeName=\(name)")
        defer {
            pods.stop()
            factory.shutdown()
        }
        factory.start()
        try await services.waitForSync()
        var settings = KubeletSettings(sandbox: sandbox, hostIPs: facts.addresses,
                                       environment: { pod in ServiceEnvironment.variables(for: pod, services: services.cache.list()) })
        settings.garbageCollect = garbageCollect
        let manager = PodManager(settings: settings, handlers: .init(
            statusChanged: { [weak self] pod, status in await self?.writeStatus(pod, status) },
            terminated: { [weak self] pod in await self?.completeDeletion(pod) }))
        self.manager = manager
        _ = pods.addEventHandler(onAdd: { await manager.upsert($0) },
                                 onUpdate: { _, new in await manager.upsert(new) },
                                 onDelete: { await manager.delete($0) })
        pods.start()
        try await pods.waitForSync()
        await manager.resync(pods.cache.list())
        try await postNodeStatus(ready: true)
        log("trellis kubelet: node \(name) ready, \(pods.cache.count) pod(s)")
        var beats = 0
        while !Task.isCancelled {
            await renewLease()
            beats += 1
            if beats % 6 == 0 { try? await postNodeStatus(ready: true) }
            try await Task.sleep(for: .seconds(10))
        }
    }

    func stopPods() async {
        await manager?.stopAll(grace: .seconds(30))
    }

    private func postNodeStatus(ready: Bool) async throws {
        let status = NodeStatus.kubelet(facts, ready: ready, previous: nodeStatus, now: Date())
        let patch = try KubeJSON.decode(JSONValue.self, from: KubeJSON.encode(["status": status]))
        _ = try await client.patch(Node.self, name: name, patch: patch, subresource: "status")
        nodeStatus = status
    }

    /// Renews `kube-node-lease/NODE` (creating it the first time); a conflict re-reads it next time.
    private func renewLease() async {
        do {
            if lease == nil {
                lease = try? await client.get(Lease.self, name: name, namespace: "kube-node-lease")
            }
            let renewed = Lease.nodeHeartbeat(node: name, now: Date(), previous: lease)
            lease = renewed.metadata.resourceVersion == nil
                ? try await client.create(renewed, namespace: "kube-node-lease")
                : try await client.update(renewed)
        } catch {
            lease = nil
            log("trellis kubelet: lease renewal failed: \(error)")
        }
    }

    /// Writes a pod's status through the status subresource (a merge patch of `status`).
    private func writeStatus(_ pod: Pod, _ status: PodStatus) async {
        do {
            let patch = try KubeJSON.decode(JSONValue.self, from: KubeJSON.encode(["status": status]))
            _ = try await client.patch(Pod.self, name: pod.name, namespace: pod.namespace, patch: patch, subresource: "status")
        } catch let error as KubeClientError where error.isNotFound {
        } catch {
            log("trellis kubelet: status of \(pod.namespace ?? "default")/\(pod.name): \(error)")
        }
    }

    /// The pod's processes and sandbox are gone: complete the graceful deletion.
    private func completeDeletion(_ pod: Pod) async {
        guard pod.metadata.deletionTimestamp != nil else { return }
        do {
            try await client.delete(Pod.self, name: pod.name, namespace: pod.namespace, gracePeriodSeconds: 0)
        } catch let error as KubeClientError where error.isNotFound {
        } catch {
            log("trellis kubelet: delete \(pod.namespace ?? "default")/\(pod.name): \(error)")
        }
    }
}
