import KubeAPI
import NFTables
import NetAddr

/// Compiles `ClusterState` into a `PolicyPlan` for one node, with the evaluator's semantics
/// (`PolicyModel`), and keeps it current: a pod change updates only the set elements and
/// verdict-map entries it affects; a namespace or policy change recompiles (pure, then the
/// plan diff still touches only what changed).
///
/// Layout (IPv4):
/// - base chains `egress` (hook forward, priority 0), `egress-host` (hook input: pod to node)
///   and `ingress` (hook forward, priority 1). Forward runs after prerouting, so Service DNAT
///   has happened and policy sees pod addresses. `accept` ends only its own base chain, so a
///   packet passes the egress chain of its source and then the ingress chain of its destination.
/// - each starts with conntrack. Non-strict accepts `established,related`. Strict mode accepts
///   replies (`ct direction reply`), related packets, and connections whose conntrack mark
///   carries the current policy generation; the `mark` chains (after both policy chains) stamp
///   every connection that passed with the generation, and each apply bumps it. So after any
///   change every established connection is checked again at its next packet (and stamped or
///   dropped), while between changes a packet costs one lookup.
/// - `ip saddr vmap @egress4` / `ip daddr vmap @ingress4`: each programmed local pod's address
///   maps to `accept` (no policy applies) or a jump into its program chain.
/// - fail-closed: any other address in the node's pod CIDRs (`@podcidrs4`) is dropped, so a pod
///   that has an address but no program yet can neither send nor receive.
/// - program chains, named `p<hash of content>` and shared by every pod with the same program:
///   Admin rules (Accept: `accept`, Deny: `drop`, Pass: `goto` the next part), then the
///   NetworkPolicy part (allow rules then `drop`) or, when no NetworkPolicy isolates the pod,
///   the Baseline rules then `accept`.
/// - per rule sets: `<policy>.<dir><n>.pods` (peer pod addresses), `.blocks` (ipBlock CIDRs minus
///   except, as intervals), `.named` (egress named ports: `address . proto . port`, resolved on
///   each peer pod, never a cross product).
public struct PolicyCompiler: Sendable {
    public let nodeName: String
    public let podCIDRs: [IPPrefix]
    public let strict: Bool
    public internal(set) var state = ClusterState()
    public internal(set) var plan = PolicyPlan()

    /// Per local pod: the verdict-map elements it owns.
    var programmed: [String: Programmed] = [:]
    /// References to each program chain (verdict-map entries and gotos).
    var chainRefs: [String: Int] = [:]
    /// Every rule with a `.pods` or `.named` set: (set base name, policy key, direction, index).
    var peerSets: [RuleRef] = []
    var needsRebuild = false
    /// Changes since the last `takeChanges()`; nil after a recompile (compare whole plans).
    var changes: PlanChanges? = nil

    struct Programmed: Sendable {
        var elements: [(SetElement, String)] = []
        /// One reference per direction that jumps into a chain.
        var targets: [String] = []
    }

    struct RuleRef: Sendable {
        var base: String
        var policy: String
        var direction: Direction
        var index: Int
    }

    public init(nodeName: String, podCIDRs: [IPPrefix], strict: Bool = true) {
        self.nodeName = nodeName
        self.podCIDRs = podCIDRs
        self.strict = strict
        rebuild()
    }

    public static let egressMap = "egress4", ingressMap = "ingress4", podCIDRSet = "podcidrs4"

    // MARK: events

    public mutating func replaceState(_ s: ClusterState) { state = s; rebuild() }

    /// A namespace or policy change: recompiles, now or (`deferred`) at the next `finish()`,
    /// so that an informer's initial list of 1,000 policies costs one compile, not 1,000.
    public mutating func update(deferred: Bool = false, _ body: (inout ClusterState) -> Void) {
        body(&state)
        if deferred { needsRebuild = true } else { rebuild() }
    }

    /// The incremental changes since the last call, or nil when the plan was recompiled
    /// since (then only a whole-plan diff is exact). Starts tracking anew.
    public mutating func takeChanges() -> PlanChanges? {
        defer { changes = PlanChanges() }
        return changes
    }

    /// Runs a deferred recompile, if one is pending.
    public mutating func finish() {
        if needsRebuild { rebuild() }
    }

    /// A pod added or changed: incremental.
    public mutating func upsert(_ pod: Pod) { upsert(PodInfo(pod)) }

    mutating func upsert(_ pod: PodInfo) {
        let old = state.pods[pod.key]
        state.upsert(pod)
        if !needsRebuild { podChanged(old: old, new: pod) }
    }

    public mutating func deletePod(namespace: String, name: String) {
        let key = "\(namespace)/\(name)"
        guard let old = state.pods[key] else { return }
        state.removePod(key)
        if !needsRebuild { podChanged(old: old, new: nil) }
    }

    // MARK: full compile

    mutating func rebuild() {
        needsRebuild = false
        changes = nil
        plan = PolicyPlan()
        programmed = [:]
        chainRefs = [:]
        peerSets = []
        let t = PolicyPlan.table
        let ingressMap = NFTSet(table: t, name: Self.ingressMap, key: [.ipv4Address], isVerdictMap: true)
        let egressMap = NFTSet(table: t, name: Self.egressMap, key: [.ipv4Address], isVerdictMap: true)
        let cidrs = NFTSet(table: t, name: Self.podCIDRSet, key: [.ipv4Address], flags: .interval)
        plan.sets[ingressMap.name] = PlanSet(set: ingressMap, elements: [])
        plan.sets[egressMap.name] = PlanSet(set: egressMap, elements: [])
        let v4 = podCIDRs.filter { $0.family == .v4 }.map { $0.network }
        plan.sets[cidrs.name] = PlanSet(set: cidrs, elements: Set(mergedRanges(v4.map { ($0, []) }).map { SetElement([$0]) }))

        let conntrack = strict ? [PlanRule.reply, .related, .currentGeneration] : [.established]
        if strict {
            // The generation set and the marking chains' rule change on every apply; the
            // enforcer writes them (`PolicyEnforcer.generationBatch`), the plan holds the shells.
            let gen = NFTSet(table: t, name: "gen", key: [.mark])
            plan.sets[gen.name] = PlanSet(set: gen, elements: [])
            plan.baseChains["mark"] = BaseChain(type: .filter, hook: .forward, priority: 2)
            plan.baseChains["mark-host"] = BaseChain(type: .filter, hook: .input, priority: 1)
            plan.chains["mark"] = []
            plan.chains["mark-host"] = []
        }
        func base(_ name: String, _ hook: ChainHook, _ prio: Int32, _ field: AddressField, _ map: String) {
            plan.baseChains[name] = BaseChain(type: .filter, hook: hook, priority: prio)
            let payload: PayloadField = field == .source ? .ipSource : .ipDestination
            plan.chains[name] = conntrack + [
                .make([PlanRule.ipv4, ("\(payload) vmap @\(map)", [.payload(payload), .verdictMap(set: map)])]),
                .make([PlanRule.ipv4, PlanRule.address(field, in: Self.podCIDRSet), PlanRule.verdict(.drop)]),
            ]
        }
        base("egress", .forward, 0, .source, Self.egressMap)
        base("egress-host", .input, 0, .source, Self.egressMap)
        base("ingress", .forward, 1, .destination, Self.ingressMap)

        for key in state.policies.keys.sorted() { addRuleSets(state.policies[key]!) }
        for pod in state.pods.values where isLocal(pod) { program(pod) }
    }

    func isLocal(_ pod: PodInfo) -> Bool {
        pod.nodeName == nodeName && !pod.hostNetwork && pod.ips.contains { $0.isIPv4 }
    }
}
