import Foundation
import KubeAPI

extension PodStatus {
    /// The status the kubelet reports for `pod` given its runtime state: a pure function.
    ///
    /// `previous` (the last reported status) keeps each condition's `lastTransitionTime` while
    /// its status does not change, and a terminal phase (`Succeeded`, `Failed`) never goes back.
    public static func computed(for pod: Pod, runtime: PodRuntimeState, previous: PodStatus?, now: Date) -> PodStatus {
        var status = PodStatus()
        let spec = pod.spec ?? PodSpec()
        status.phase = phase(spec: spec, runtime: runtime, previous: previous?.phase)
        status.hostIP = runtime.hostIPs.first
        status.hostIPs = runtime.hostIPs.isEmpty ? nil : runtime.hostIPs.map(HostIP.init)
        status.podIP = runtime.podIPs.first
        status.podIPs = runtime.podIPs.isEmpty ? nil : runtime.podIPs.map(PodIP.init)
        status.startTime = runtime.startTime.map(Time.init) ?? previous?.startTime
        status.qosClass = qosClass(spec)
        if !runtime.sandboxReady, let message = runtime.sandboxMessage { status.message = message }
        status.containerStatuses = spec.containers.map { container in
            let state = runtime.containers.first { $0.name == container.name } ?? ContainerRuntimeState(name: container.name)
            return containerStatus(state, image: container.image ?? "")
        }
        let terminal = status.phase == "Succeeded" || status.phase == "Failed"
        let allReady = !spec.containers.isEmpty && spec.containers.allSatisfy { c in
            runtime.containers.first { $0.name == c.name }?.ready ?? false
        }
        let containersReady = allReady && !terminal
        let notReadyNames = spec.containers.map(\.name).filter { n in !(runtime.containers.first { $0.name == n }?.ready ?? false) }
        let notReadyReason = terminal ? "PodCompleted" : "ContainersNotReady"
        let notReadyMessage = terminal ? nil : "containers with unready status: [\(notReadyNames.joined(separator: " "))]"
        let wanted: [(String, Bool, String?, String?)] = [
            ("PodReadyToStartContainers", runtime.sandboxReady, nil, nil),
            ("Initialized", true, nil, nil),
            ("Ready", containersReady, containersReady ? nil : notReadyReason, containersReady ? nil : notReadyMessage),
            ("ContainersReady", containersReady, containersReady ? nil : notReadyReason, containersReady ? nil : notReadyMessage),
            ("PodScheduled", true, nil, nil),
        ]
        let stamp = Time(now)
        status.conditions = wanted.map { (type, on, reason, message) in
            var c = PodCondition(type: type, status: on ? "True" : "False")
            c.reason = reason
            c.message = message
            let before = previous?.conditions?.first { $0.type == type }
            c.lastTransitionTime = before?.status == c.status ? (before?.lastTransitionTime ?? stamp) : stamp
            // The scheduler's condition is not ours to re-stamp.
            if type == "PodScheduled", let before, before.status == "True" { c = before }
            return c
        }
        return status
    }

    /// Kubernetes' phase rules: Pending until every container has started once; Running while
    /// any runs or will be restarted; then Succeeded if all exited 0, Failed otherwise.
    static func phase(spec: PodSpec, runtime: PodRuntimeState, previous: String?) -> String {
        if previous == "Succeeded" || previous == "Failed" { return previous! }
        guard runtime.sandboxReady || runtime.containersFinished else { return "Pending" }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for c in spec.containers {
            guard let state = runtime.containers.first(where: { $0.name == c.name }) else { waiting += 1; continue }
            switch state.phase {
            case .running: running += 1
            case .terminated(let t):
                stopped += 1
                if t.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if let last = state.lastTermination {
                    stopped += 1
                    if last.exitCode == 0 { succeeded += 1 }
                } else {
                    waiting += 1
                }
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped == 0 { return "Pending" }
        if !runtime.containersFinished { return "Running" }
        return stopped == succeeded ? "Succeeded" : "Failed"
    }

    static func containerStatus(_ state: ContainerRuntimeState, image: String) -> ContainerStatus {
        var s = ContainerStatus()
        s.name = state.name
        s.image = image
        s.imageID = ""
        s.ready = state.ready
        s.restartCount = Int32(clamping: state.restartCount)
        s.started = state.isRunning ? state.started : false
        s.containerID = state.containerID
        var current = ContainerState()
        switch state.phase {
        case .waiting(let reason, let message):
            var w = ContainerState.Waiting()
            w.reason = reason
            w.message = message
            current.waiting = w
        case .running(let startedAt):
            var r = ContainerState.Running()
            r.startedAt = Time(startedAt)
            current.running = r
        case .terminated(let t):
            current.terminated = terminated(t, containerID: state.containerID)
        }
        s.state = current
        if let last = state.lastTermination {
            var l = ContainerState()
            l.terminated = terminated(last, containerID: nil)
            s.lastState = l
        } else {
            s.lastState = ContainerState()
        }
        return s
    }

    static func terminated(_ t: ContainerRuntimeState.Termination, containerID: String?) -> ContainerState.Terminated {
        var out = ContainerState.Terminated()
        out.exitCode = t.exitCode
        out.signal = t.signal
        out.reason = t.reason
        out.message = t.message
        out.startedAt = t.startedAt.map(Time.init)
        out.finishedAt = Time(t.finishedAt)
        out.containerID = containerID
        return out
    }

    /// Guaranteed when every container has cpu and memory limits equal to its requests,
    /// BestEffort when none sets any, Burstable otherwise.
    static func qosClass(_ spec: PodSpec) -> String {
        let containers = spec.containers + (spec.initContainers ?? [])
        let none = containers.allSatisfy { ($0.resources?.requests ?? [:]).isEmpty && ($0.resources?.limits ?? [:]).isEmpty }
        if none { return "BestEffort" }
        let guaranteed = containers.allSatisfy { c in
            let limits = c.resources?.limits ?? [:]
            let requests = c.resources?.requests ?? [:]
            return ["cpu", "memory"].allSatisfy { r in
                guard let limit = limits[r] else { return false }
                return requests[r] == nil || requests[r] == limit
            }
        }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
