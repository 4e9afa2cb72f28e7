import Foundation
import KubeAPI

/// The Deployment controller's decision, as a pure function: from a Deployment and the
/// ReplicaSets it owns, the ReplicaSet to create (a new template), the replica counts to set,
/// the old ReplicaSets to delete (history beyond `revisionHistoryLimit`) and the status.
///
/// - The ReplicaSet of the current template is found by comparing templates (without the
///   `pod-template-hash` label) and named `<deployment>-<hash of the template>`.
/// - Revisions: the current ReplicaSet carries `deployment.kubernetes.io/revision` = highest + 1,
///   also when an old template comes back (a rollback), as kube-controller-manager does.
/// - RollingUpdate: total replicas stay ≤ desired + maxSurge (default 25%, rounded up); old
///   ReplicaSets are scaled down only while available pods stay ≥ desired − maxUnavailable
///   (default 25%, rounded down; both 0 means maxUnavailable 1). Unhealthy old replicas go first.
/// - Recreate: every old ReplicaSet goes to 0 and its pods are gone before the new one scales up.
/// - Paused: nothing is scaled; status is still reported.
public struct DeploymentReconciler: Sendable {
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"
    public static let hashLabel = "pod-template-hash"

    public init() {}

    public struct Plan: Sendable, Equatable {
        /// A ReplicaSet to create (with its replicas already set).
        public var create: ReplicaSet?
        /// ReplicaSet name → new `spec.replicas`.
        public var scale: [String: Int32] = [:]
        /// ReplicaSet name → new revision annotation (a rollback to an older template).
        public var revision: [String: String] = [:]
        public var delete: [String] = []
        public var status = Deployment.Status()
    }

    /// `activePods`: pods of old ReplicaSets still running (for Recreate).
    public func reconcile(_ deployment: Deployment, replicaSets: [ReplicaSet], oldPodsRunning: Int = 0) -> Plan {
        let uid = deployment.metadata.uid ?? ""
        let owned = replicaSets.filter { !uid.isEmpty && $0.metadata.controllerRef?.uid == uid }
        let spec = deployment.spec ?? Deployment.Spec()
        let desired = Int(spec.replicas ?? 1)
        let template = spec.template
        var plan = Plan()
        var current = owned.first { Self.sameTemplate($0.spec?.template, template) }
        let old = owned.filter { $0.name != current?.name }
        let maxRevision = owned.map(Self.revision).max() ?? 0
        let (maxSurge, maxUnavailable) = Self.rollingLimits(spec, desired: desired)
        let recreate = spec.strategy?.type == "Recreate"

        func replicas(_ rs: ReplicaSet) -> Int { Int(plan.scale[rs.name] ?? rs.spec?.replicas ?? 0) }
        func available(_ rs: ReplicaSet) -> Int { Int(rs.status?.availableReplicas ?? 0) }

        if spec.paused != true {
            if current == nil {
                var rs = newReplicaSet(deployment, revision: maxRevision + 1)
                let oldTotal = old.reduce(0) { $0 + replicas($1) }
                let initial = recreate ? (oldTotal == 0 && oldPodsRunning == 0 ? desired : 0)
                    : max(0, min(desired, desired + maxSurge - oldTotal))
                rs.spec?.replicas = Int32(initial)
                plan.create = rs
                current = rs
            } else if let rs = current, Self.revision(rs) < maxRevision {
                plan.revision[rs.name] = String(maxRevision + 1)
            }
            let newRS = current!
            if recreate {
                for rs in old where replicas(rs) > 0 { plan.scale[rs.name] = 0 }
                let oldLeft = old.reduce(0) { $0 + Int(plan.scale[$1.name] ?? $1.spec?.replicas ?? 0) }
                if oldLeft == 0, oldPodsRunning == 0, replicas(newRS) != desired, plan.create == nil { plan.scale[newRS.name] = Int32(desired) }
            } else {
                // Scale the new ReplicaSet up within the surge budget (or down to desired).
                let total = owned.reduce(0) { $0 + replicas($1) } + (plan.create == nil ? 0 : replicas(newRS))
                if plan.create == nil {
                    if replicas(newRS) > desired {
                        plan.scale[newRS.name] = Int32(desired)
                    } else if replicas(newRS) < desired, total < desired + maxSurge {
                        plan.scale[newRS.name] = Int32(min(desired, replicas(newRS) + desired + maxSurge - total))
                    }
                }
                // Scale old ones down while enough pods stay available.
                let allReplicas = owned.reduce(0) { $0 + replicas($1) } + (plan.create == nil ? 0 : replicas(newRS))
                let newUnavailable = max(0, replicas(newRS) - available(newRS))
                var budget = allReplicas - (desired - maxUnavailable) - newUnavailable
                // Unhealthy old replicas first (they do not count as available anyway).
                for rs in old.sorted(by: Self.oldestFirst) where budget > 0 {
                    let unhealthy = max(0, replicas(rs) - available(rs))
                    let cut = min(unhealthy, budget)
                    if cut > 0 {
                        plan.scale[rs.name] = Int32(replicas(rs) - cut)
                        budget -= cut
                    }
                }
                for rs in old.sorted(by: Self.oldestFirst) where budget > 0 && replicas(rs) > 0 {
                    let cut = min(replicas(rs), budget)
                    plan.scale[rs.name] = Int32(replicas(rs) - cut)
                    budget -= cut
                }
            }
            // History: old ReplicaSets at zero beyond the limit, oldest first.
            let limit = Int(spec.revisionHistoryLimit ?? 10)
            let idle = old.filter { replicas($0) == 0 && ($0.status?.replicas ?? 0) == 0 }.sorted(by: Self.oldestFirst)
            if idle.count > limit { plan.delete = idle.prefix(idle.count - limit).map(\.name) }
        }
        // Unchanged replica counts are not changes.
        for (name, value) in plan.scale where owned.first(where: { $0.name == name })?.spec?.replicas == value { plan.scale[name] = nil }

        var status = Deployment.Status()
        status.observedGeneration = deployment.metadata.generation
        status.replicas = Int32(owned.reduce(0) { $0 + Int($1.status?.replicas ?? 0) })
        status.updatedReplicas = current.map { $0.status?.replicas ?? 0 } ?? 0
        status.readyReplicas = Int32(owned.reduce(0) { $0 + Int($1.status?.readyReplicas ?? 0) })
        let availableCount = owned.reduce(0) { $0 + available($1) }
        status.availableReplicas = Int32(availableCount)
        status.unavailableReplicas = Int32(max(0, desired - availableCount))
        var availableCondition = WorkloadCondition()
        availableCondition.type = "Available"
        let minimumAvailable = availableCount >= desired - maxUnavailable
        availableCondition.status = minimumAvailable ? "True" : "False"
        availableCondition.reason = minimumAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"
        availableCondition.message = minimumAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."
        var progressing = WorkloadCondition()
        progressing.type = "Progressing"
        progressing.status = "True"
        let complete = status.updatedReplicas == Int32(desired) && status.replicas == Int32(desired) && availableCount >= desired
        progressing.reason = spec.paused == true ? "DeploymentPaused" : complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated"
        progressing.message = "ReplicaSet \"\(current?.name ?? "")\" " + (complete ? "has successfully progressed." : "is progressing.")
        status.conditions = [availableCondition, progressing]
        plan.status = status
        return plan
    }

    // MARK: pieces

    /// maxSurge and maxUnavailable as numbers of pods.
    static func rollingLimits(_ spec: Deployment.Spec, desired: Int) -> (surge: Int, unavailable: Int) {
        if spec.strategy?.type == "Recreate" { return (0, desired) }
        let rolling = spec.strategy?.rollingUpdate
        let surge = resolve(rolling?.maxSurge ?? .string("25%"), total: desired, roundUp: true)
        var unavailable = resolve(rolling?.maxUnavailable ?? .string("25%"), total: desired, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, min(unavailable, desired))
    }

    static func resolve(_ value: IntOrString, total: Int, roundUp: Bool) -> Int {
        switch value {
        case .int(let n): return max(0, Int(n))
        case .string(let s):
            guard s.hasSuffix("%"), let percent = Int(s.dropLast()) else { return 0 }
            let exact = Double(total * percent) / 100
            return max(0, Int(roundUp ? exact.rounded(.up) : exact.rounded(.down)))
        }
    }

    static func revision(_ rs: ReplicaSet) -> Int { Int(rs.metadata.annotations?[revisionAnnotation] ?? "") ?? 0 }

    static func oldestFirst(_ a: ReplicaSet, _ b: ReplicaSet) -> Bool {
        (revision(a), a.name) < (revision(b), b.name)
    }

    /// Templates compare without the hash label the controller adds.
    static func sameTemplate(_ a: PodTemplateSpec?, _ b: PodTemplateSpec) -> Bool {
        guard var a else { return false }
        var b = b
        a.metadata?.labels?[hashLabel] = nil
        b.metadata?.labels?[hashLabel] = nil
        if a.metadata?.labels?.isEmpty == true { a.metadata?.labels = nil }
        if b.metadata?.labels?.isEmpty == true { b.metadata?.labels = nil }
        return a == b
    }

    /// A short, stable hash of the template (FNV-1a over its JSON), in kube's safe alphabet.
    public static func templateHash(_ template: PodTemplateSpec) -> String {
        var t = template
        t.metadata?.labels?[hashLabel] = nil
        let bytes = (try? KubeJSON.encode(t)) ?? Data()
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var text = ""
        var value = hash
        repeat {
            text.append(alphabet[Int(value % UInt32(alphabet.count))])
            value /= UInt32(alphabet.count)
        } while value > 0
        return text
    }

    func newReplicaSet(_ d: Deployment, revision: Int) -> ReplicaSet {
        let spec = d.spec ?? Deployment.Spec()
        let hash = Self.templateHash(spec.template)
        var template = spec.template
        var templateMeta = template.metadata ?? ObjectMeta()
        templateMeta.labels = (templateMeta.labels ?? [:]).merging([Self.hashLabel: hash]) { $1 }
        template.metadata = templateMeta
        var rs = ReplicaSet(metadata: ObjectMeta(name: String(d.name.prefix(52)) + "-" + hash, namespace: d.metadata.namespace,
                                                 labels: templateMeta.labels,
                                                 annotations: [Self.revisionAnnotation: String(revision),
                                                               "deployment.kubernetes.io/desired-replicas": String(spec.replicas ?? 1)]))
        rs.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: d.name,
                                                      uid: d.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)]
        var rsSpec = ReplicaSet.Spec()
        var selector = spec.selector
        selector.matchLabels = (selector.matchLabels ?? [:]).merging([Self.hashLabel: hash]) { $1 }
        rsSpec.selector = selector
        rsSpec.template = template
        rsSpec.minReadySeconds = spec.minReadySeconds
        rs.spec = rsSpec
        return rs
    }
}
