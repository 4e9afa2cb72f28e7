#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI
import NetNS

/// Where a pod's containers run, shared by its runners.
struct PodContext: Sendable {
    var pod: Pod
    /// The pod's namespace (the node's for a host-network pod; nil: the kubelet's own).
    var netns: NetNS?
    /// The node's namespace, for network probes.
    var node: NetNS?
    var fields: ContainerCommand.PodFields
    var extraEnvironment: [(String, String)]
    var store: SandboxStore
    var backOff: RestartBackOff
    var sandboxName: String

    var uid: String { pod.metadata.uid ?? "" }
    var restartPolicy: String { pod.spec?.restartPolicy ?? "Always" }
    var gracePeriod: Duration { .seconds(Int(pod.spec?.terminationGracePeriodSeconds ?? 30)) }
}

/// One container's life: start its process, watch it, probe it, restart it by the pod's
/// restart policy with back-off, and stop it gracefully. Reports every change of its state.
actor ContainerRunner {
    let container: Container
    let context: PodContext
    private let onChange: @Sendable (ContainerRuntimeState, _ finished: Bool) async -> Void
    private(set) var state: ContainerRuntimeState
    private var process: ContainerProcess?
    private var environment: [String] = []
    private var loop: Task<Void, Never>?
    private var probes: [Task<Void, Never>] = []
    private var counters: [ProbeKind: ProbeCounter] = [:]
    private var stopping = false

    enum ProbeKind: Hashable, Sendable { case startup, liveness, readiness }

    init(_ container: Container, context: PodContext,
         onChange: @escaping @Sendable (ContainerRuntimeState, Bool) async -> Void) {
        self.container = container
        self.context = context
        self.onChange = onChange
        state = ContainerRuntimeState(name: container.name)
    }

    func start() {
        guard loop == nil else { return }
        loop = Task { await self.run() }
    }

    /// Stops the container for good: no more restarts; SIGTERM, `grace`, SIGKILL.
    func stop(grace: Duration) async {
        stopping = true
        cancelProbes()
        if let process { _ = await process.stop(grace: grace) }
        loop?.cancel()
        await loop?.value
    }

    private func run() async {
        var restarts = 0
        while !stopping && !Task.isCancelled {
            let termination = await runOnce()
            if stopping || Task.isCancelled { break }
            // nil: the container could not be configured; runOnce waited, try again.
            guard let termination else { continue }
            let restart = context.restartPolicy == "Always"
                || (context.restartPolicy == "OnFailure" && termination.exitCode != 0)
            guard restart else {
                await publish(finished: true)
                return
            }
            if let started = termination.startedAt,
               termination.finishedAt.timeIntervalSince(started) >= Double(context.backOff.resetAfter.components.seconds) {
                restarts = 0
            }
            let delay = context.backOff.delay(afterRestarts: restarts)
            restarts += 1
            state.lastTermination = termination
            if delay > .zero {
                state.phase = .waiting(reason: "CrashLoopBackOff",
                                       message: "back-off \(delay) restarting failed container=\(container.name) pod=\(context.pod.name)")
                await publish()
                do { try await Task.sleep(for: delay) } catch { break }
            }
            guard !stopping else { break }
            state.restartCount += 1
        }
        await publish(finished: true)
    }

    /// One run; its termination, or nil when the container could not be configured (after
    /// waiting a back-off step before the retry).
    private func runOnce() async -> ContainerRuntimeState.Termination? {
        let command: ContainerCommand
        do {
            command = try ContainerCommand.resolve(container, pod: context.pod, fields: context.fields,
                                                   extra: context.extraEnvironment)
        } catch {
            state.phase = .waiting(reason: "CreateContainerConfigError", message: "\(error)")
            await publish()
            try? await Task.sleep(for: max(context.backOff.initial, .seconds(1)))
            return nil
        }
        environment = command.environment
        let log = context.store.logPath(uid: context.uid, container: container.name, restartCount: state.restartCount)
        let netns = context.netns
        let started: ContainerProcess
        do {
            started = try await offPool { try ContainerProcess(command, netns: netns, logPath: log) }
        } catch {
            let now = Date()
            let t = ContainerRuntimeState.Termination(exitCode: 128, reason: "ContainerCannotRun",
                                                      message: "\(error)", startedAt: now, finishedAt: now)
            state.phase = .terminated(t)
            await publish()
            return t
        }
        process = started
        state.containerID = "trellis://\(context.sandboxName)/\(container.name)/\(state.restartCount)"
        state.phase = .running(startedAt: started.startedAt)
        state.started = container.startupProbe == nil
        state.ready = container.readinessProbe == nil && state.started
        await publish()
        if stopping { _ = await started.stop(grace: context.gracePeriod) }
        startProbes(for: started)
        let status = await started.waitForExit()
        cancelProbes()
        process = nil
        let t = ContainerRuntimeState.Termination(
            exitCode: status.code, signal: status.signal, reason: status.code == 0 ? "Completed" : "Error",
            startedAt: started.startedAt, finishedAt: Date())
        state.phase = .terminated(t)
        state.ready = false
        state.started = false
        await publish()
        return t
    }

    private func publish(finished: Bool = false) async {
        await onChange(state, finished)
    }

    // MARK: - Probes

    private func startProbes(for process: ContainerProcess) {
        if let startup = container.startupProbe {
            counters[.startup] = ProbeCounter(startup, initial: false)
            probes.append(probeLoop(.startup, startup, process))
        } else {
            startLivenessAndReadiness(process)
        }
    }

    private func startLivenessAndReadiness(_ process: ContainerProcess) {
        if let liveness = container.livenessProbe {
            counters[.liveness] = ProbeCounter(liveness, initial: true)
            probes.append(probeLoop(.liveness, liveness, process))
        }
        if let readiness = container.readinessProbe {
            counters[.readiness] = ProbeCounter(readiness, initial: false)
            probes.append(probeLoop(.readiness, readiness, process))
        }
    }

    private func cancelProbes() {
        for p in probes { p.cancel() }
        probes = []
        counters = [:]
    }

    private func probeLoop(_ kind: ProbeKind, _ probe: Probe, _ process: ContainerProcess) -> Task<Void, Never> {
        let target = ProbeCheck.Target(podIP: context.fields.podIPs.first ?? "127.0.0.1", pod: context.netns,
                                       node: context.node, environment: environment, ports: container.ports ?? [])
        let check = ProbeCheck(probe: probe, target: target)
        let initialDelay = Duration.seconds(Int(probe.initialDelaySeconds ?? 0))
        let period = Duration.seconds(max(1, Int(probe.periodSeconds ?? 10)))
        return Task {
            do {
                try await Task.sleep(for: initialDelay)
                while !Task.isCancelled {
                    let outcome = await check.run()
                    guard !Task.isCancelled else { return }
                    guard await self.record(kind, outcome, for: process) else { return }
                    try await Task.sleep(for: period)
                }
            } catch {
                return
            }
        }
    }

    /// Applies one probe result; false when this probe should stop.
    private func record(_ kind: ProbeKind, _ outcome: ProbeCheck.Outcome, for process: ContainerProcess) async -> Bool {
        guard process === self.process, !stopping, var counter = counters[kind] else { return false }
        let changed = counter.record(outcome.succeeded)
        counters[kind] = counter
        switch kind {
        case .startup:
            if counter.verdict && changed {
                counters[.startup] = nil
                state.started = true
                state.ready = container.readinessProbe == nil
                await publish()
                startLivenessAndReadiness(process)
                return false
            } else if !counter.verdict && counter.consecutiveFailures >= counter.failureThreshold {
                kill(process, probe: container.startupProbe)
                return false
            }
        case .liveness:
            if changed && !counter.verdict {
                kill(process, probe: container.livenessProbe)
                return false
            }
        case .readiness:
            if changed && state.ready != counter.verdict {
                state.ready = counter.verdict
                await publish()
            }
        }
        return true
    }

    /// A failed liveness or startup probe: the container is killed and restarted by policy.
    private func kill(_ process: ContainerProcess, probe: Probe?) {
        cancelProbes()
        let grace = probe?.terminationGracePeriodSeconds.map { Duration.seconds(Int($0)) } ?? context.gracePeriod
        Task { _ = await process.stop(grace: grace) }
    }
}
