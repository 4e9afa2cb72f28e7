#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NetNS
import Synchronization

/// One run of a container: a process (the leader of its own process group) started inside the
/// pod's network namespace, its exit delivered by the `ProcessReaper`.
public final class ContainerProcess: Sendable {
    public let pid: pid_t
    public let startedAt: Date
    private let exit: ExitLatch

    /// Starts `command` inside `netns` (nil: the calling thread's namespace) with stdout and
    /// stderr appended to `logPath`. Blocking (a namespace switch): call off the pool.
    ///
    /// The child is spawned from a thread that has `setns`-ed into the pod namespace, so it
    /// inherits the namespace with no extra exec (`nsenter` would add one).
    public init(_ command: ContainerCommand, netns: NetNS?, logPath: String?,
                reaper: ProcessReaper = .shared) throws {
        if let logPath {
            let dir = (logPath as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let request = SpawnRequest(executable: command.executable, arguments: command.arguments,
                                   environment: command.environment, workingDirectory: command.workingDirectory,
                                   outputPath: logPath)
        let latch = ExitLatch()
        exit = latch
        startedAt = Date()
        pid = try reaper.spawn(request, in: netns) { status in latch.fire(status) }
    }

    /// The exit status once the process has been reaped.
    public func waitForExit() async -> ExitStatus { await exit.wait() }

    /// The status if it has already exited.
    public var exitStatus: ExitStatus? { exit.value }

    /// Sends `signal` to the container's process group (the process and what it started).
    public func signal(_ signal: Int32) { Posix.signalGroup(pid, signal) }

    /// SIGTERM, then SIGKILL if it is still running after `grace`; returns the exit status.
    /// After the leader exits, the rest of its process group gets SIGKILL too.
    public func stop(grace: Duration) async -> ExitStatus {
        if let status = exit.value { Posix.signalGroup(pid, SIGKILL); return status }
        signal(SIGTERM)
        let killer = Task {
            try await Task.sleep(for: grace)
            if self.exit.value == nil { self.signal(SIGKILL) }
        }
        let status = await waitForExit()
        killer.cancel()
        // The leader is gone; whatever it started goes with it.
        Posix.signalGroup(pid, SIGKILL)
        return status
    }
}

/// A value set once and awaited by any number of tasks.
final class ExitLatch: Sendable {
    private struct State {
        var value: ExitStatus?
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
    }
    private let state = Mutex(State())

    var value: ExitStatus? { state.withLock { $0.value } }

    func fire(_ status: ExitStatus) {
        let waiters = state.withLock { s -> [CheckedContinuation<ExitStatus, Never>] in
            guard s.value == nil else { return [] }
            s.value = status
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: status) }
    }

    func wait() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> ExitStatus? in
                if let v = s.value { return v }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
