#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import NetNS

/// The one place that reaps the kubelet's container processes, and (as a child subreaper) the
/// orphans they leave behind.
///
/// Each watched process is a pidfd; one thread polls them all and reaps each with
/// `waitid(P_PIDFD)`, so no other child of the process (a CNI plugin, a test's shell) is ever
/// reaped by accident. Orphans re-parented to us are reaped by a sweep once a second, but only
/// after they were seen as zombies twice: a child some other code is about to `waitpid` is
/// never a zombie for a whole second.
public final class ProcessReaper: Sendable {
    /// The process-wide reaper.
    public static let shared = ProcessReaper()

    private struct Watch: Sendable {
        var pidfd: Int32
        var onExit: @Sendable (ExitStatus) -> Void
    }
    private struct State: Sendable {
        var watches: [pid_t: Watch] = [:]
        var started = false
        var sweepOrphans = false
        var zombiesSeen: Set<pid_t> = []
    }
    private let state = Mutex(State())
    /// Wakes the poll thread when the watch set changes.
    private let wake: (read: Int32, write: Int32)

    private init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fatalError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
    }

    /// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`) and starts sweeping
    /// orphans, so processes a container leaves behind never pile up as zombies.
    public func becomeSubreaper() throws(KubeletError) {
        try Posix.setChildSubreaper()
        state.withLock { $0.sweepOrphans = true }
        startIfNeeded()
        poke()
    }

    /// Whether this process is a child subreaper.
    public var isSubreaper: Bool { Posix.isChildSubreaper }

    /// Starts `request` inside `netns` (or the calling thread's namespace) and calls `onExit`
    /// once it has been reaped. The spawn and the registration happen under the reaper's lock,
    /// so the sweep can never take the new child for an orphan.
    func spawn(_ request: SpawnRequest, in netns: NetNS?,
               onExit: @escaping @Sendable (ExitStatus) -> Void) throws -> pid_t {
        startIfNeeded()
        let pid: pid_t = try state.withLock { s in
            let (pid, fd) = try inNamespace(netns) { try Posix.spawn(request) }
            s.watches[pid] = Watch(pidfd: fd, onExit: onExit)
            return pid
        }
        poke()
        return pid
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func startIfNeeded() {
        let start = state.withLock { s -> Bool in
            if s.started { return false }
            s.started = true
            return true
        }
        guard start else { return }
        startReaperThread(self)
    }

    fileprivate func loop() {
        while true {
            let (watched, sweep) = state.withLock { s in (s.watches.map { ($0.key, $0.value.pidfd) }, s.sweepOrphans) }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            fds += watched.map { pollfd(fd: $0.1, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), sweep ? 1000 : -1)
            if n < 0 && errno != EINTR { usleep(100_000) }
            if fds[0].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 64)
                while read(wake.read, &buf, buf.count) > 0 {}
            }
            for (i, (pid, fd)) in watched.enumerated() where fds[i + 1].revents != 0 {
                reap(pid: pid, pidfd: fd)
            }
            if sweep { sweepOrphans() }
        }
    }

    private func reap(pid: pid_t, pidfd: Int32) {
        guard let status = Posix.reap(pidfd: pidfd) else { return }
        let watch = state.withLock { $0.watches.removeValue(forKey: pid) }
        Posix.closeFD(pidfd)
        watch?.onExit(status)
    }

    private func sweepOrphans() {
        let children = Posix.children()
        state.withLock { s in
            var zombies: Set<pid_t> = []
            for pid in children where s.watches[pid] == nil && Posix.stat(pid)?.state == "Z" {
                if s.zombiesSeen.contains(pid) {
                    _ = Posix.reapIfExited(pid)
                } else {
                    zombies.insert(pid)
                }
            }
            s.zombiesSeen = zombies
        }
    }
}

/// Starts the reaper's thread from a nonisolated context (a closure written in top-level code
/// would be @MainActor and trap on a raw thread).
private func startReaperThread(_ reaper: ProcessReaper) {
    let box = Unmanaged.passRetained(reaper).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        let reaper = Unmanaged<ProcessReaper>.fromOpaque(arg!).takeRetainedValue()
        reaper.loop()
        return nil
    }, box)
    if rc != 0 { fatalError("pthread_create: \(String(cString: strerror(rc)))") }
    pthread_detach(thread)
}
