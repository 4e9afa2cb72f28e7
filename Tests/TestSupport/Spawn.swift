import CLinux
import Foundation

/// Starts `args` (looked up on PATH) with a clean signal state. Tests run on libdispatch
/// threads that block nearly every signal, and Foundation's `Process` passes that mask on:
/// a child shell's `wait` then never returns and SIGTERM never reaches a server.
func spawn(_ args: [String], environment: [String: String]?, stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    _ = withUnsafeMutablePointer(to: &attr) { trellis_spawnattr_clean_signals(UnsafeMutableRawPointer($0), 0) }
    let env = environment ?? ProcessInfo.processInfo.environment
    let argv = args.map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid = pid_t()
    let rc = posix_spawnp(&pid, args[0], &actions, &attr, argv, envp)
    guard rc == 0 else {
        throw CommandError(command: args, result: CommandResult(status: -1, stdout: "", stderr: "posix_spawnp: \(String(cString: strerror(rc)))"))
    }
    return pid
}

/// Waits for `pid` and returns its exit status (128 + signal if it was killed).
@discardableResult
func waitStatus(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let sig = status & 0x7f
    return sig == 0 ? (status >> 8) & 0xff : 128 + sig
}

/// Reads two pipes to the end concurrently with poll(2).
func drain(_ a: Int32, _ b: Int32) -> (Data, Data) {
    var out = [Data(), Data()]
    var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
    var open = 2
    var buf = [UInt8](repeating: 0, count: 65536)
    while open > 0 {
        if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
        for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
            let n = read(fds[i].fd, &buf, buf.count)
            if n > 0 { out[i].append(contentsOf: buf[0..<n]) }
            else if n == 0 || errno != EINTR { close(fds[i].fd); fds[i].fd = -1; open -= 1 }
        }
    }
    return (out[0], out[1])
}

/// A process running in the background until `stop()` (SIGTERM, then SIGKILL after 2 s).
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    private var stopped = false
    private let lock = NSLock()

    public init(_ args: [String]) throws {
        let null = open("/dev/null", O_RDWR)
        defer { close(null) }
        pid = try spawn(args, environment: nil, stdin: null, stdout: null, stderr: null)
    }

    public func stop() {
        lock.lock(); defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        for _ in 0..<200 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitStatus(pid)
    }

    /// Sends `signal` without waiting.
    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit on its own; returns its status.
    public func wait() -> Int32 {
        lock.lock(); defer { lock.unlock() }
        stopped = true
        return waitStatus(pid)
    }

    deinit { stop() }
}
