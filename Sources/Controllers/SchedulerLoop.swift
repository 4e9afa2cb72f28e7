import Synchronization
import KubeAPI
import KubeClient

/// `trellis scheduler`: takes unscheduled pods whose `schedulerName` is ours, decides with
/// `SchedulingAlgorithm` over the informers' nodes and pods, and binds through `pods/binding`.
/// Higher-priority pods go first; a pod that fits nowhere may preempt lower-priority pods
/// (they are deleted and the pod's `status.nominatedNodeName` set) or is marked
/// PodScheduled=False/Unschedulable and retried with back-off. Pods just bound are counted on
/// their node until the informer shows the binding.
public final class Scheduler: Sendable {
    public static let defaultName = "default-scheduler"
    let client: KubeClient
    let names: Set<String>
    let factory: SharedInformerFactory
    private let assumed = Mutex<[String: (node: String, pod: Pod)]>([:])

    public init(client: KubeClient, schedulerNames: Set<String> = [Scheduler.defaultName, "trellis"]) {
        self.client = client
        self.names = schedulerNames
        factory = SharedInformerFactory(client: client)
    }

    func isOurs(_ pod: Pod) -> Bool {
        (pod.spec?.nodeName ?? "").isEmpty && pod.metadata.deletionTimestamp == nil
            && names.contains(pod.spec?.schedulerName ?? Self.defaultName)
            && pod.status?.phase != "Succeeded" && pod.status?.phase != "Failed"
    }

    public func run() async throws {
        let pods = factory.informer(Pod.self)
        let nodes = factory.informer(Node.self)
        factory.start()
        defer { factory.shutdown() }
        try await factory.waitForSync()
        let queue = WorkQueue<String>(rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(200), maximum: .seconds(30)))
        let podSub = pods.addHandler { [self] event in
            let pod = event.object
            let key = InformerCache<Pod>.key(of: pod)
            if case .deleted = event { assumed.withLock { _ = $0.removeValue(forKey: key) }; return }
            if !(pod.spec?.nodeName ?? "").isEmpty { assumed.withLock { _ = $0.removeValue(forKey: key) } }
            if isOurs(pod) { queue.add(key) }
        }
        // A node appearing or changing may make waiting pods fit.
        let nodeSub = nodes.addHandler { [self] _ in
            for pod in pods.cache.list() where isOurs(pod) { queue.add(InformerCache<Pod>.key(of: pod)) }
        }
        defer { podSub.cancel(); nodeSub.cancel() }
        await withTaskCancellationHandler {
            await queue.run(workers: 1) { key in try await self.schedule(key, pods: pods, nodes: nodes) }
        } onCancel: {
            queue.shutdown()
        }
    }

    func schedule(_ key: String, pods: SharedInformer<Pod>, nodes: SharedInformer<Node>) async throws {
        guard let pod = pods.cache.get(key: key), isOurs(pod) else { return }
        if assumed.withLock({ $0[key] != nil }) { return }
        // Higher priority first: while a more important pod waits, this one yields.
        let priority = pod.spec?.priority ?? 0
        let waiting = assumed.withLock { Set($0.keys) }
        if pods.cache.list().contains(where: { other in
            let otherKey = InformerCache<Pod>.key(of: other)
            let markedUnschedulable = other.status?.conditions?.contains { $0.type == "PodScheduled" && $0.status == "False" } == true
            return isOurs(other) && (other.spec?.priority ?? 0) > priority && otherKey != key && !waiting.contains(otherKey)
                && !markedUnschedulable
        }) {
            throw SchedulingDeferred()
        }
        let assumedPods = assumed.withLock { $0 }
        var byNode: [String: [Pod]] = [:]
        for other in pods.cache.list() {
            guard let node = other.spec?.nodeName, !node.isEmpty, other.status?.phase != "Succeeded", other.status?.phase != "Failed" else { continue }
            byNode[node, default: []].append(other)
        }
        for (podKey, entry) in assumedPods where pods.cache.get(key: podKey)?.spec?.nodeName?.isEmpty ?? true {
            byNode[entry.node, default: []].append(entry.pod)
        }
        let infos = nodes.cache.list().sorted { $0.name < $1.name }.map { SchedulingAlgorithm.NodeInfo(node: $0, pods: byNode[$0.name] ?? []) }
        switch SchedulingAlgorithm().schedule(pod, on: infos) {
        case .bind(let node):
            assumed.withLock { $0[key] = (node, pod) }
            do {
                try await client.bind(pod: pod.name, namespace: pod.metadata.namespace, node: node)
            } catch {
                assumed.withLock { _ = $0.removeValue(forKey: key) }
                throw error
            }
        case .preempt(let node, let victims):
            for victim in victims {
                let (namespace, name) = ControllerManager.split(victim)
                try? await client.delete(Pod.self, name: name, namespace: namespace)
            }
            var nominated = pod
            nominated.status = nominated.status ?? PodStatus()
            nominated.status?.nominatedNodeName = node
            _ = try? await client.updateStatus(nominated)
            throw SchedulingDeferred()
        case .unschedulable(let reasons):
            var updated = pod
            var status = updated.status ?? PodStatus()
            var condition = PodCondition()
            condition.type = "PodScheduled"
            condition.status = "False"
            condition.reason = "Unschedulable"
            condition.message = SchedulingAlgorithm.message(reasons, nodeCount: infos.count)
            let previous = status.conditions?.first { $0.type == "PodScheduled" }
            if previous?.status != "False" || previous?.message != condition.message {
                condition.lastTransitionTime = .now()
                status.conditions = (status.conditions ?? []).filter { $0.type != "PodScheduled" } + [condition]
                status.phase = status.phase ?? "Pending"
                updated.status = status
                _ = try? await client.updateStatus(updated)
            }
            throw SchedulingDeferred()
        }
    }

    /// Not an error: the pod is retried later with back-off.
    struct SchedulingDeferred: Error {}
}
