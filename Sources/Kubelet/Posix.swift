#if canImport(Glibc)
import Glibc
#endif
import Foundation
internal import CLinux

/// How a process ended: its exit code, or 128 + signal number with `signal` set.
public struct ExitStatus: Equatable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var signal: Int32?
    public init(code: Int32, signal: Int32? = nil) { self.code = code; self.signal = signal }
    public var description: String { signal.map { "signal \($0)" } ?? "exit \(code)" }
}

/// What to start: an absolute executable path, argv (argv[0] included), the environment as
/// `KEY=VALUE` strings, a working directory, and a file that gets stdout and stderr appended.
struct SpawnRequest: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String]
    var workingDirectory: String?
    var outputPath: String?
    /// Puts the child in a new process group (its pid), so a stop signals everything it started.
    var newProcessGroup = true
}

/// Every libc call the kubelet makes to run processes, in one place.
enum Posix {
    /// Starts `request` from the calling thread (whose network namespace the child inherits)
    /// and opens a pidfd on it. Wraps `posix_spawn(3)` and `pidfd_open(2)`.
    ///
    /// The child gets an empty signal mask and default dispositions: Swift concurrency and
    /// libdispatch threads block nearly every signal and an exec'd child would inherit that.
    static func spawn(_ request: SpawnRequest) throws(KubeletError) -> (pid: pid_t, pidfd: Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let out = request.outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let dir = request.workingDirectory {
            let rc = withUnsafeMutablePointer(to: &actions) { trellis_spawn_addchdir(UnsafeMutableRawPointer($0), dir) }
            if rc != 0 { throw KubeletError("posix_spawn_file_actions_addchdir_np", dir, errno: rc) }
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var extra: Int32 = 0
        if request.newProcessGroup {
            extra = Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        _ = withUnsafeMutablePointer(to: &attr) { trellis_spawnattr_clean_signals(UnsafeMutableRawPointer($0), extra) }

        let argv = request.arguments.map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, request.executable, &actions, &attr, argv, envp)
        guard rc == 0 else { throw KubeletError("posix_spawn", request.executable, errno: rc) }
        let fd = trellis_pidfd_open(pid)
        guard fd >= 0 else {
            let err = errno
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            throw KubeletError("pidfd_open", "pid \(pid)", errno: err)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (pid, fd)
    }

    /// Reaps the child behind `pidfd` if it has exited. Wraps `waitid(P_PIDFD, WNOHANG)`.
    static func reap(pidfd: Int32) -> ExitStatus? {
        var code: Int32 = 0, signo: Int32 = 0
        let rc = trellis_pidfd_reap(pidfd, 1, &code, &signo)
        if rc == 1 { return ExitStatus(code: code, signal: signo == 0 ? nil : signo) }
        if rc < 0 && errno == ECHILD { return ExitStatus(code: 255) }  // someone else reaped it
        return nil
    }

    /// Sends `signal` to process group `pgid`; ESRCH (already gone) is not an error.
    /// Wraps `kill(2)` with a negative pid.
    @discardableResult
    static func signalGroup(_ pgid: pid_t, _ signal: Int32) -> Bool {
        kill(-pgid, signal) == 0
    }

    /// Sends `signal` to one process. Wraps `kill(2)`.
    @discardableResult
    static func signal(_ pid: pid_t, _ signal: Int32) -> Bool { kill(pid, signal) == 0 }

    /// Makes this process the reaper of its orphaned descendants. Wraps `prctl(PR_SET_CHILD_SUBREAPER)`.
    static func setChildSubreaper() throws(KubeletError) {
        if trellis_set_child_subreaper(1) != 0 {
            throw KubeletError("prctl PR_SET_CHILD_SUBREAPER", "self", errno: errno)
        }
    }

    static var isChildSubreaper: Bool { trellis_is_child_subreaper() == 1 }

    /// Reaps `pid` if it is a zombie. Wraps `waitpid(2)` with `WNOHANG`.
    static func reapIfExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// The process's state letter and start time (clock ticks since boot) from `/proc/PID/stat`.
    static func stat(_ pid: pid_t) -> (state: Character, startTime: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces and parentheses): state is field 3,
        // starttime field 22.
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, let state = rest[0].first, let start = UInt64(rest[19]) else { return nil }
        return (state, start)
    }

    /// This process's children, from `/proc/self/task/*/children` (each thread has its own list).
    static func children() -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var out: [pid_t] = []
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8) else { continue }
            out += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return out
    }

    /// Processes whose network namespace is the one at `netnsPath` (same nsfs inode), found by
    /// scanning `/proc/*/ns/net`. How a restarted kubelet finds a pod's leftover processes.
    static func processes(inNetNS netnsPath: String) -> [pid_t] {
        var target = Glibc.stat()
        guard statPath(netnsPath, &target) == 0 else { return [] }
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var out: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != me else { continue }
            var st = Glibc.stat()
            if statPath("/proc/\(pid)/ns/net", &st) == 0, st.st_ino == target.st_ino, st.st_dev == target.st_dev {
                out.append(pid)
            }
        }
        return out
    }

    /// Whether `path` is an executable regular file. Wraps `stat(2)` and `access(2)`.
    static func isExecutableFile(_ path: String) -> Bool {
        var st = Glibc.stat()
        guard statPath(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    static func closeFD(_ fd: Int32) { close(fd) }
}

/// `stat(2)`; a file-scope name, because inside `Posix` the word `stat` means `Posix.stat`.
private func statPath(_ path: String, _ st: inout Glibc.stat) -> Int32 { stat(path, &st) }
