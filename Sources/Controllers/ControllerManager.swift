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
        /// Node lifecycle: how often nodes are checked, how long without a heartbeat before a
        /// node is unreachable, and the default eviction timeout of its pods.
        public var nodeMonitorPeriod: Duration = .seconds(5)
        public var nodeMonitorGracePeriod: Int64 = 40
        public var podEvictionTimeout: Int64 = 300
        /// How often owner references are checked for garbage collection.
        public var garbageCollectionPeriod: Duration = .seconds(5)
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
        let leases = factory.informer(Lease.self, namespace: "kube-node-lease")
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
                group.addTask { await self.monitorNodes(nodes, leases, pods) }
                group.addTask { await self.collectGarbage(pods, replicaSets, slices, deployments, services) }
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

    /// Node lifecycle every `nodeMonitorPeriod`: conditions and taints of silent nodes, and
    /// eviction of their pods past their toleration.
    func monitorNodes(_ nodes: SharedInformer<Node>, _ leases: SharedInformer<Lease>, _ pods: SharedInformer<Pod>) async {
        let lifecycle = NodeLifecycle(gracePeriod: configuration.nodeMonitorGracePeriod,
                                      defaultEvictionTimeout: configuration.podEvictionTimeout)
        var firstSeen: [String: Time] = [:]
        while !Task.isCancelled {
            let now = Time.now()
            let podsByNode = Dictionary(grouping: pods.cache.list().filter { !($0.spec?.nodeName ?? "").isEmpty }) { $0.spec!.nodeName! }
            for node in nodes.cache.list() {
                if firstSeen[node.name] == nil { firstSeen[node.name] = now }
                let decision = lifecycle.decide(node, lease: leases.cache.get(namespace: "kube-node-lease", name: node.name),
                                                pods: podsByNode[node.name] ?? [], now: now, firstSeen: firstSeen[node.name])
                if let updated = decision.node {
                    if updated.spec != node.spec {
                        _ = try? await client.patch(Node.self, name: node.name, patch: ["spec": ["taints": (try? JSONValue(encoding: updated.spec?.taints ?? [])) ?? .array([])]])
                    }
                    if updated.status != node.status, var fresh = try? await client.get(Node.self, name: node.name),
                       let ready = updated.status?.conditions?.first(where: { $0.type == "Ready" }) {
                        // Only the Ready condition is ours to write; the kubelet owns the rest.
                        var status = fresh.status ?? NodeStatus()
                        status.conditions = (status.conditions ?? []).filter { $0.type != "Ready" } + [ready]
                        fresh.status = status
                        _ = try? await client.updateStatus(fresh)
                    }
                }
                for name in decision.evict {
                    let pod = podsByNode[node.name]?.first { $0.name == name }
                    try? await client.delete(Pod.self, name: name, namespace: pod?.metadata.namespace)
                }
            }
            try? await Task.sleep(for: configuration.nodeMonitorPeriod)
        }
    }

    /// Garbage collection by ownerReferences (background propagation): a Pod, ReplicaSet or
    /// EndpointSlice whose owners are all gone is deleted, after a live read confirms the owner
    /// is really gone (the caches may lag a new owner).
    func collectGarbage(_ pods: SharedInformer<Pod>, _ replicaSets: SharedInformer<ReplicaSet>, _ slices: SharedInformer<EndpointSlice>,
                        _ deployments: SharedInformer<Deployment>, _ services: SharedInformer<Service>) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.garbageCollectionPeriod)
            var known = Set<String>()
            for d in deployments.cache.list() { if let uid = d.metadata.uid { known.insert(uid) } }
            for r in replicaSets.cache.list() { if let uid = r.metadata.uid { known.insert(uid) } }
            for s in services.cache.list() { if let uid = s.metadata.uid { known.insert(uid) } }
            let handled: Set<String> = ["Deployment", "ReplicaSet", "Service"]
            func orphaned(_ meta: ObjectMeta) -> [OwnerReference]? {
                guard let owners = meta.ownerReferences, !owners.isEmpty, owners.allSatisfy({ handled.contains($0.kind) }),
                      owners.allSatisfy({ !known.contains($0.uid) }), meta.deletionTimestamp == nil else { return nil }
                return owners
            }
            for pod in pods.cache.list() { if let owners = orphaned(pod.metadata) { await collect(pod, owners) } }
            for rs in replicaSets.cache.list() { if let owners = orphaned(rs.metadata) { await collect(rs, owners) } }
            for slice in slices.cache.list() { if let owners = orphaned(slice.metadata) { await collect(slice, owners) } }
        }
    }

    private func collect<T: KubeObject>(_ object: T, _ owners: [OwnerReference]) async {
        for owner in owners {
            do {
                let uid: String?
                switch owner.kind {
                case "Deployment": uid = try await client.get(Deployment.self, name: owner.name, namespace: object.metadata.namespace).metadata.uid
                case "ReplicaSet": uid = try await client.get(ReplicaSet.self, name: owner.name, namespace: object.metadata.namespace).metadata.uid
                default: uid = try await client.get(Service.self, name: owner.name, namespace: object.metadata.namespace).metadata.uid
                }
                if uid == owner.uid { return }  // the owner exists: the cache lagged
            } catch let error as KubeClientError where error.isNotFound {
                continue
            } catch {
                return  // cannot tell: leave it for the next pass
            }
        }
        try? await client.delete(T.self, name: object.name, namespace: object.metadata.namespace)
    }

    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as KubeClientError where error.status?.code == 404 {}
    }
}
