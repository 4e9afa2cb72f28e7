import Foundation

/// What the kubelet knows about one container, as plain values (the input of the pod status).
public struct ContainerRuntimeState: Equatable, Sendable {
    public struct Termination: Equatable, Sendable {
        public var exitCode: Int32
        public var signal: Int32?
        /// `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`.
        public var reason: String
        public var message: String?
        public var startedAt: Date?
        public var finishedAt: Date
        public init(exitCode: Int32, signal: Int32? = nil, reason: String, message: String? = nil,
                    startedAt: Date? = nil, finishedAt: Date) {
            self.exitCode = exitCode; self.signal = signal; self.reason = reason; self.message = message
            self.startedAt = startedAt; self.finishedAt = finishedAt
        }
    }

    public enum Phase: Equatable, Sendable {
        /// `ContainerCreating`, `CrashLoopBackOff`, `CreateContainerConfigError`, `CreateContainerError`.
        case waiting(reason: String, message: String?)
        case running(startedAt: Date)
        case terminated(Termination)
    }

    public var name: String
    public var phase: Phase
    public var lastTermination: Termination?
    public var restartCount: Int
    /// Readiness: the readiness probe's verdict, or running and started without one.
    public var ready: Bool
    /// Passed its startup probe (or has none) while running.
    public var started: Bool
    /// `trellis://…` identifier of the current or last run.
    public var containerID: String?

    public init(name: String, phase: Phase = .waiting(reason: "ContainerCreating", message: nil),
                lastTermination: Termination? = nil, restartCount: Int = 0, ready: Bool = false,
                started: Bool = false, containerID: String? = nil) {
        self.name = name; self.phase = phase; self.lastTermination = lastTermination
        self.restartCount = restartCount; self.ready = ready; self.started = started; self.containerID = containerID
    }

    public var isRunning: Bool { if case .running = phase { true } else { false } }
}

/// Everything the pod status is computed from.
public struct PodRuntimeState: Equatable, Sendable {
    /// The sandbox exists and has its addresses.
    public var sandboxReady = false
    /// Why the sandbox is not ready (a CNI error), shown as the pod's message.
    public var sandboxMessage: String?
    public var podIPs: [String] = []
    public var hostIPs: [String] = []
    /// When the kubelet accepted the pod.
    public var startTime: Date?
    /// In the order of `spec.containers`.
    public var containers: [ContainerRuntimeState] = []
    /// Whether every container has finished for good (no restart coming).
    public var containersFinished = false

    public init() {}
}
