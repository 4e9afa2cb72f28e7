import KubeAPI
import KubeClient
import NetAddr

/// `trellis controller-manager`: the EndpointSlice, node IPAM, ReplicaSet and Deployment
/// controllers over shared informers, each a work queue of object keys feeding one of the pure
/// reconcilers in this module. Runs while the caller's task runs (under leader election when
/// `run(leaderElection:)` is given a config).
public final class ControllerManager: Sendable {
    public struct Configuration: Sendable {
        /// Cluster CIDRs for node podCIDRs; empty disables node IPAM.
        public var clusterCIDRs: [IPPrefix] = []
        public var nodeMaskSizes: [Int]? = nil
        public var workers = 2
        public init() {}
    }

    let client: KubeClient
    let factory: SharedInformerFactory
    let configuration: Configuration
    let allocator: NodeCIDRAllocator?

    public init(client: KubeClient, configuration: Configuration = Configuration()) throws {
        self.client = client
        self.configuration = configuration
        factory = SharedInformerFactory(client: client)
        allocator = configuration.clusterCIDRs.isEmpty ? nil
            : try NodeCIDRAllocator(clusterCIDRs: configuration.clusterCIDRs, nodeMaskSizes: configuration.nodeMaskSizes)
    }

    /// Runs every controller until the task is cancelled.
    public func run() async throws {
        let services = factory.informer(Service.self)
        let pods = factory.informer(Pod.self)
        let slices = factory.informer(EndpointSlice.self)
        let nodes = factory.informer(Node.self)
        let replicaSets = factory.informer(ReplicaSet.self)
        let deployments = factory.informer(Deployment.self)
        factory.start()
        defer { factory.shutdown() }
        try await factory.waitForSync()

        let serviceQueue = WorkQueue<String>()
        let rsQueue = WorkQueue<String>()
        let deploymentQueue = WorkQueue<String>()
        let nodeQueue = WorkQueue<String>()
        let queues: [@Sendable () -> Void] = [serviceQueue.shutdown, rsQueue.shutdown, deploymentQueue.shutdown, nodeQueue.shutdown]

        // What enqueues what.
        var subscriptions: [InformerSubscription] = []
        subscriptions.append(services.addHandler { serviceQueue.add(InformerCache<Service>.key(of: $0.object)) })
        subscriptions.append(slices.addHandler { event in
            if let name = event.object.serviceName { serviceQueue.add(InformerCache<Service>.key(namespace: event.object.metadata.namespace, name: name)) }
        })
        subscriptions.append(pods.addHandler { event in
            var touched: [Pod] = [event.object]
            if case .updated(let old, _) = event { touched.append(old) }
            for pod in touched {
                for service in services.cache.list(namespace: pod.metadata.namespace ?? "")
                    where service.spec?.selector.map({ s in !s.isEmpty && s.allSatisfy { pod.metadata.labels?[$0.key] == $0.value } }) == true {
                    serviceQueue.add(InformerCache<Service>.key(of: service))
                }
                if let owner = pod.metadata.controllerRef, owner.kind == "ReplicaSet" {
                    rsQueue.add(InformerCache<ReplicaSet>.key(namespace: pod.metadata.namespace, name: owner.name))
                }
            }
        })
        subscriptions.append(nodes.addHandler { event in
            nodeQueue.add(event.object.name)
            // Zones feed endpoint hints: requeue services when a node's zone changes.
            if case .updated(let old, let new) = event,
               old.metadata.labels?[EndpointSliceReconciler.zoneLabel] != new.metadata.labels?[EndpointSliceReconciler.zoneLabel] {
                for service in services.cache.list() { serviceQueue.add(InformerCache<Service>.key(of: service)) }
            }
        })
        subscriptions.append(replicaSets.addHandler { event in
            rsQueue.add(InformerCache<ReplicaSet>.key(of: event.object))
            if let owner = event.object.metadata.controllerRef, owner.kind == "Deployment" {
                deploymentQueue.add(InformerCache<Deployment>.key(namespace: event.object.metadata.namespace, name: owner.name))
            }
        })
        subscriptions.append(deployments.addHandler { deploymentQueue.add(InformerCache<Deployment>.key(of: $0.object)) })
        defer {
            for s in subscriptions { s.cancel() }
        }

        let workers = configuration.workers
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await serviceQueue.run(workers: workers) { try await self.syncService($0, services, pods, slices, nodes) } }
                group.addTask { await rsQueue.run(workers: workers) { try await self.syncReplicaSet($0, replicaSets, pods) } }
                group.addTask { await deploymentQueue.run(workers: workers) { try await self.syncDeployment($0, deployments, replicaSets, pods) } }
                if allocator != nil {
                    group.addTask { await nodeQueue.run(workers: 1) { _ in try await self.syncNodeCIDRs(nodes) } }
                }
            }
        } onCancel: {
            for shutdown in queues { shutdown() }
        }
    }

    /// Runs under leader election: only the holder of the Lease runs the controllers.
    public func run(leaderElection: LeaderElectionConfig) async throws {
        let elector = try LeaderElector(client: client, config: leaderElection)
        await elector.run(onStartedLeading: { try? await self.run() })
    }

    // MARK: syncs

    static func split(_ key: String) -> (String?, String) {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : (nil, key)
    }

    func syncService(_ key: String, _ services: SharedInformer<Service>, _ pods: SharedInformer<Pod>,
                     _ slices: SharedInformer<EndpointSlice>, _ nodes: SharedInformer<Node>) async throws {
        let (namespace, name) = Self.split(key)
        let existing = slices.cache.list(namespace: namespace ?? "").filter { $0.serviceName == name }
        guard let service = services.cache.get(namespace: namespace, name: name) else {
            // Deleted: garbage collection by owner would remove the slices; do it directly.
            for slice in existing where slice.metadata.labels?[EndpointSliceReconciler.managedByLabel] == EndpointSliceReconciler.managedBy {
                try? await client.delete(EndpointSlice.self, name: slice.name, namespace: namespace)
            }
            return
        }
        var zones: [String: String] = [:]
        for node in nodes.cache.list() { if let zone = node.metadata.labels?[EndpointSliceReconciler.zoneLabel] { zones[node.name] = zone } }
        let plan = EndpointSliceReconciler().reconcile(service: service, pods: pods.cache.list(namespace: namespace ?? ""),
                                                      existing: existing, zones: zones)
        for slice in plan.creates { _ = try await client.create(slice, namespace: namespace) }
        for slice in plan.updates { _ = try await client.update(slice) }
        for name in plan.deletes { try await ignoringNotFound { try await client.delete(EndpointSlice.self, name: name, namespace: namespace) } }
    }

    func syncReplicaSet(_ key: String, _ replicaSets: SharedInformer<ReplicaSet>, _ pods: SharedInformer<Pod>) async throws {
        let (namespace, name) = Self.split(key)
        guard let rs = replicaSets.cache.get(namespace: namespace, name: name) else { return }
        let plan = ReplicaSetReconciler().reconcile(rs, pods: pods.cache.list(namespace: namespace ?? ""))
        for pod in plan.create { _ = try await client.create(pod, namespace: namespace) }
        for name in plan.delete { try await ignoringNotFound { try await client.delete(Pod.self, name: name, namespace: namespace) } }
        if plan.status != rs.status {
            var updated = rs
            updated.status = plan.status
            _ = try await client.updateStatus(updated)
        }
    }

    func syncDeployment(_ key: String, _ deployments: SharedInformer<Deployment>, _ replicaSets: SharedInformer<ReplicaSet>,
                        _ pods: SharedInformer<Pod>) async throws {
        let (namespace, name) = Self.split(key)
        guard let deployment = deployments.cache.get(namespace: namespace, name: name) else { return }
        let sets = replicaSets.cache.list(namespace: namespace ?? "")
        let current = sets.first { DeploymentReconciler.sameTemplate($0.spec?.template, deployment.spec?.template ?? PodTemplateSpec()) && $0.metadata.controllerRef?.uid == deployment.metadata.uid }
        let oldRunning = pods.cache.list(namespace: namespace ?? "").filter { pod in
            guard let owner = pod.metadata.controllerRef, owner.kind == "ReplicaSet", owner.uid != current?.metadata.uid else { return false }
            return sets.contains { $0.metadata.uid == owner.uid && $0.metadata.controllerRef?.uid == deployment.metadata.uid }
                && pod.status?.phase != "Succeeded" && pod.status?.phase != "Failed"
        }.count
        let plan = DeploymentReconciler().reconcile(deployment, replicaSets: sets, oldPodsRunning: oldRunning)
        if let create = plan.create {
            do { _ = try await client.create(create, namespace: namespace) } catch let error as KubeClientError where error.status?.code == 409 {}
        }
        for (rsName, replicas) in plan.scale {
            _ = try await client.patch(ReplicaSet.self, name: rsName, namespace: namespace, patch: ["spec": ["replicas": .int(Int64(replicas))]])
        }
        for (rsName, revision) in plan.revision {
            _ = try await client.patch(ReplicaSet.self, name: rsName, namespace: namespace,
                                       patch: ["metadata": ["annotations": [DeploymentReconciler.revisionAnnotation: .string(revision)]]])
        }
        for rsName in plan.delete { try await ignoringNotFound { try await client.delete(ReplicaSet.self, name: rsName, namespace: namespace) } }
        if plan.status != deployment.status {
            var updated = deployment
            updated.status = plan.status
            _ = try await client.updateStatus(updated)
        }
    }

    func syncNodeCIDRs(_ nodes: SharedInformer<Node>) async throws {
        guard let allocator else { return }
        let (assignments, failures) = allocator.assign(nodes.cache.list())
        for (name, cidrs) in assignments.sorted(by: { $0.key < $1.key }) {
            _ = try await client.patch(Node.self, name: name, patch: ["spec": ["podCIDR": .string(cidrs[0]), "podCIDRs": .array(cidrs.map(JSONValue.string))]])
        }
        if !failures.isEmpty { throw NodeCIDRAllocator.Failure.full(allocator.clusterCIDRs[0]) }
    }

    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as KubeClientError where error.status?.code == 404 {}
    }
}
