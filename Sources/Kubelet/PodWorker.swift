import Foundation
import KubeAPI
import NetNS

/// Settings every pod of a node shares.
public struct KubeletSettings: Sendable {
    public var sandbox: PodSandbox
    /// The node's addresses (status.hostIP(s), and the pod IPs of host-network pods).
    public var hostIPs: [String]
    public var backOff: RestartBackOff
    /// Extra variables for every container (the Kubernetes service variables).
    public var environment: @Sendable (Pod) -> [(String, String)]
    /// Whether `PodManager.resync` runs CNI GC (the CNI stores must be this node's alone).
    public var garbageCollect = true

    public init(sandbox: PodSandbox, hostIPs: [String], backOff: RestartBackOff = RestartBackOff(),
                environment: @escaping @Sendable (Pod) -> [(String, String)] = { _ in [] }) {
        self.sandbox = sandbox
        self.hostIPs = hostIPs
        self.backOff = backOff
        self.environment = environment
    }
}

/// One pod on this node: creates its sandbox, runs its containers, reports its status, and
/// terminates it gracefully.
actor PodWorker {
    private(set) var pod: Pod
    let settings: KubeletSettings
    private let report: @Sendable (Pod, PodStatus) async -> Void
    private var runtime = PodRuntimeState()
    private var record: SandboxRecord?
    private var runners: [ContainerRunner] = []
    private var finished: Set<String> = []
    private var lastStatus: PodStatus?
    private var setUp: Task<Void, Never>?
    private var termination: Task<Void, Never>?
    private var terminating = false

    init(pod: Pod, settings: KubeletSettings, report: @escaping @Sendable (Pod, PodStatus) async -> Void) {
        self.pod = pod
        self.settings = settings
        self.report = report
        lastStatus = pod.status
        runtime.hostIPs = settings.hostIPs
        runtime.containers = (pod.spec?.containers ?? []).map { ContainerRuntimeState(name: $0.name) }
    }

    var uid: String { pod.metadata.uid ?? "" }
    var status: PodStatus? { lastStatus }
    var isTerminated: Bool { termination != nil && runners.isEmpty && record == nil }

    func start() {
        guard setUp == nil else { return }
        setUp = Task { await self.createSandboxAndStart() }
    }

    /// A newer version of the pod. Containers of a pod never change; metadata and deletion do.
    func update(_ newer: Pod) {
        let spec = pod.spec
        pod = newer
        pod.spec = spec
    }

    /// Stops every container (SIGTERM, `grace`, SIGKILL), tears the sandbox down and reports
    /// the final status. Waits for all of it; a second call waits for the first.
    func terminate(grace: Duration) async {
        if let termination { await termination.value; return }
        terminating = true
        // A set-up waiting out a sandbox back-off stops waiting (it never starts containers now).
        setUp?.cancel()
        let task = Task { await self.shutDown(grace: grace) }
        termination = task
        await task.value
    }

    private func shutDown(grace: Duration) async {
        await setUp?.value
        await withTaskGroup(of: Void.self) { group in
            for runner in runners { group.addTask { await runner.stop(grace: grace) } }
        }
        await tearDownSandbox()
        runners = []
        await publish()
    }

    private func createSandboxAndStart() async {
        runtime.startTime = Date()
        await publish()
        let sandbox = settings.sandbox
        let pod = self.pod
        var attempt = 0
        while !terminating {
            do {
                record = try await offPool { try sandbox.create(for: pod) }
                break
            } catch {
                runtime.sandboxMessage = "Failed to create pod sandbox: \(error)"
                await publish()
                attempt += 1
                try? await Task.sleep(for: settings.backOff.delay(afterRestarts: attempt))
            }
        }
        guard let record, !terminating else { return }
        let netns: NetNS?
        do { netns = try sandbox.open(record) } catch {
            runtime.sandboxMessage = "\(error)"
            await publish()
            return
        }
        let ips = record.netnsName == nil ? settings.hostIPs : record.podIPs
        runtime.sandboxReady = true
        runtime.sandboxMessage = nil
        runtime.podIPs = ips
        let context = PodContext(pod: pod, netns: netns, node: sandbox.network.node,
                                 fields: .init(podIPs: ips, hostIPs: settings.hostIPs),
                                 extraEnvironment: settings.environment(pod), store: sandbox.store,
                                 backOff: settings.backOff,
                                 sandboxName: record.netnsName ?? PodSandbox.netnsName(uid: record.uid))
        runners = (pod.spec?.containers ?? []).map { container in
            ContainerRunner(container, context: context) { [weak self] state, done in
                await self?.containerChanged(state, finished: done)
            }
        }
        await publish()
        for runner in runners { await runner.start() }
    }

    private func containerChanged(_ state: ContainerRuntimeState, finished done: Bool) async {
        if let i = runtime.containers.firstIndex(where: { $0.name == state.name }) { runtime.containers[i] = state }
        if done { finished.insert(state.name) }
        let all = Set((pod.spec?.containers ?? []).map(\.name))
        if !terminating && !all.isEmpty && finished.isSuperset(of: all) && !runtime.containersFinished {
            // Every container is done for good: the pod is complete and gives its address back.
            runtime.containersFinished = true
            await tearDownSandbox()
        }
        await publish()
    }

    private func tearDownSandbox() async {
        guard let current = record ?? settings.sandbox.store.load(uid: uid) else { runtime.sandboxReady = false; return }
        let sandbox = settings.sandbox
        for attempt in 0..<5 {
            do {
                try await offPool { try sandbox.teardown(current) }
                record = nil
                break
            } catch {
                runtime.sandboxMessage = "Failed to tear down pod sandbox: \(error)"
                try? await Task.sleep(for: .milliseconds(200 << attempt))
            }
        }
        runtime.sandboxReady = false
    }

    private func publish() async {
        let status = PodStatus.computed(for: pod, runtime: runtime, previous: lastStatus, now: Date())
        guard status != lastStatus else { return }
        lastStatus = status
        await report(pod, status)
    }
}
