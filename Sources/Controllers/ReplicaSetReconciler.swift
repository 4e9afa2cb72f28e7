import KubeAPI

/// The ReplicaSet controller's decision, as a pure function: from a ReplicaSet and the pods of
/// its namespace, the pods to create, the pods to delete, and the status to report.
///
/// Pods belong to the ReplicaSet through their controller ownerReference. Finished pods
/// (Succeeded/Failed) and pods being deleted do not count as replicas. When there are too many,
/// the least useful go first: unscheduled, then pending, then not ready, then the newest.
public struct ReplicaSetReconciler: Sendable {
    /// At most this many pods are created or deleted in one pass (kube-controller-manager: 500).
    public var burst: Int

    public init(burst: Int = 500) { self.burst = max(1, burst) }

    public struct Plan: Sendable, Equatable {
        public var create: [Pod] = []
        public var delete: [String] = []
        public var status = ReplicaSet.Status()
    }

    public func reconcile(_ rs: ReplicaSet, pods: [Pod], now: Time = .now()) -> Plan {
        let uid = rs.metadata.uid ?? ""
        let owned = pods.filter { $0.metadata.namespace == rs.metadata.namespace && $0.metadata.controllerRef?.uid == uid && !uid.isEmpty }
        let active = owned.filter(Self.isActive)
        let desired = Int(rs.spec?.replicas ?? 1)
        var plan = Plan()
        if active.count < desired, rs.metadata.deletionTimestamp == nil {
            let pod = Self.pod(from: rs)
            plan.create = Array(repeating: pod, count: min(burst, desired - active.count))
        } else if active.count > desired {
            plan.delete = active.sorted(by: Self.deletionOrder).prefix(min(burst, active.count - desired)).map(\.name)
        }
        let templateLabels = rs.spec?.template?.metadata?.labels ?? [:]
        let minReady = Int64(rs.spec?.minReadySeconds ?? 0)
        var status = ReplicaSet.Status()
        status.replicas = Int32(active.count)
        status.fullyLabeledReplicas = Int32(active.filter { pod in templateLabels.allSatisfy { pod.metadata.labels?[$0.key] == $0.value } }.count)
        status.readyReplicas = Int32(active.filter { $0.status?.isReady ?? false }.count)
        status.availableReplicas = Int32(active.filter { Self.isAvailable($0, minReadySeconds: minReady, now: now) }.count)
        status.terminatingReplicas = Int32(owned.filter { $0.metadata.deletionTimestamp != nil }.count)
        status.observedGeneration = rs.metadata.generation
        status.conditions = rs.status?.conditions
        plan.status = status
        return plan
    }

    static func isActive(_ pod: Pod) -> Bool {
        let phase = pod.status?.phase
        return phase != "Succeeded" && phase != "Failed" && pod.metadata.deletionTimestamp == nil
    }

    /// Ready for at least `minReadySeconds`.
    public static func isAvailable(_ pod: Pod, minReadySeconds: Int64, now: Time) -> Bool {
        guard let ready = pod.status?.conditions?.first(where: { $0.type == "Ready" }), ready.status == "True" else { return false }
        guard minReadySeconds > 0 else { return true }
        guard let since = ready.lastTransitionTime else { return false }
        return since.secondsSince1970 + minReadySeconds <= now.secondsSince1970
    }

    /// A new pod from the template: generateName `<rs>-`, the template's labels and
    /// annotations, a controller reference to the ReplicaSet.
    public static func pod(from rs: ReplicaSet) -> Pod {
        let template = rs.spec?.template
        var pod = Pod(metadata: ObjectMeta(namespace: rs.metadata.namespace, labels: template?.metadata?.labels,
                                           annotations: template?.metadata?.annotations))
        pod.metadata.generateName = String(rs.name.prefix(57)) + "-"
        pod.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.name,
                                                       uid: rs.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)]
        pod.spec = template?.spec
        return pod
    }

    /// Which pod to delete first: unscheduled < scheduled; Pending < Unknown < Running;
    /// not ready < ready; newer < older; more restarts < fewer; then by name.
    static func deletionOrder(_ a: Pod, _ b: Pod) -> Bool {
        let aBound = !(a.spec?.nodeName ?? "").isEmpty, bBound = !(b.spec?.nodeName ?? "").isEmpty
        if aBound != bBound { return !aBound }
        let rank: (Pod) -> Int = { ["Pending": 0, "Unknown": 1, "Running": 2][$0.status?.phase ?? "Pending"] ?? 0 }
        if rank(a) != rank(b) { return rank(a) < rank(b) }
        let aReady = a.status?.isReady ?? false, bReady = b.status?.isReady ?? false
        if aReady != bReady { return !aReady }
        let aCreated = a.metadata.creationTimestamp?.secondsSince1970 ?? 0, bCreated = b.metadata.creationTimestamp?.secondsSince1970 ?? 0
        if aCreated != bCreated { return aCreated > bCreated }
        let restarts: (Pod) -> Int32 = { ($0.status?.containerStatuses ?? []).map(\.restartCount).max() ?? 0 }
        if restarts(a) != restarts(b) { return restarts(a) > restarts(b) }
        return a.name < b.name
    }
}
