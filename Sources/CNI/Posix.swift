import CLinux
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every libc call the CNI module makes, in one place. Calls that can be interrupted loop on
/// EINTR; failures become `CNIError` code 5 (I/O failure) naming the call and errno.
enum Posix {
    /// What a finished child process left behind.
    struct Completed {
        /// The exit code, or 128 + signal number if a signal ended it.
        var exitCode: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    static func failure(_ call: String, _ object: String, _ err: Int32 = errno) -> CNIError {
        CNIError(CNIError.ioFailure, "\(call) \(object): \(String(cString: strerror(err)))")
    }

    /// The process environment as a dictionary. Reads `environ`.
    static func environment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    /// Reads `fd` to end of file. Equivalent to looping `read(2)`.
    static func readAll(fd: Int32) throws(CNIError) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out += buf[0..<n]; continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            throw failure("read", "fd \(fd)")
        }
    }

    /// Writes all of `bytes` to `fd`, ignoring failures (nothing better can be done on
    /// stdout/stderr of a plugin). Equivalent to looping `write(2)`.
    static func writeAll(fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }

    static func exit(_ code: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(code)
        #else
        Darwin.exit(code)
        #endif
    }

    /// Whether `path` is a regular file we may execute. Wraps `stat(2)` and `access(2)`.
    static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// Runs `path` with `arguments` and `environment`, feeding `stdin` and collecting stdout
    /// and stderr until the child exits. Wraps `posix_spawn(3)`, `poll(2)` and `waitpid(2)`.
    ///
    /// SIGPIPE is ignored in this process so that a child that exits without reading its stdin
    /// turns into EPIPE here, and reset to default in the child.
    static func spawn(path: String, arguments: [String], environment: [String: String],
                      stdin: [UInt8]) throws(CNIError) -> Completed {
        signal(SIGPIPE, SIG_IGN)
        let inPipe = try makePipe(path)
        let outPipe: [Int32], errPipe: [Int32]
        do throws(CNIError) { outPipe = try makePipe(path) } catch { for fd in inPipe { close(fd) }; throw error }
        do throws(CNIError) { errPipe = try makePipe(path) } catch { for fd in inPipe + outPipe { close(fd) }; throw error }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The child starts with no blocked signals and default dispositions: a caller on a
        // libdispatch or Swift concurrency thread has nearly every signal blocked, and an
        // exec'd child would inherit that mask (a shell's `wait` then never wakes up).
        _ = withUnsafeMutablePointer(to: &attr) { trellis_spawnattr_clean_signals(UnsafeMutableRawPointer($0), 0) }

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }

        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        for fd in [inPipe[0], outPipe[1], errPipe[1]] { close(fd) }
        guard rc == 0 else {
            for fd in [inPipe[1], outPipe[0], errPipe[0]] { close(fd) }
            throw failure("posix_spawn", path, rc)
        }
        let (out, err) = pump(stdin: stdin, to: inPipe[1], stdout: outPipe[0], stderr: errPipe[0])
        return Completed(exitCode: wait(pid), stdout: out, stderr: err)
    }

    /// A pipe whose ends are closed on exec (`pipe2(O_CLOEXEC)` needs _GNU_SOURCE, which Glibc
    /// does not expose to Swift, so `pipe(2)` then `fcntl(2)`).
    private static func makePipe(_ path: String) throws(CNIError) -> [Int32] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw failure("pipe", path) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// Writes `stdin` and reads both outputs at the same time, so a child that writes a lot
    /// before reading (or never reads) cannot deadlock us. Closes all three descriptors.
    private static func pump(stdin: [UInt8], to inFD: Int32, stdout outFD: Int32,
                             stderr errFD: Int32) -> ([UInt8], [UInt8]) {
        var fds = [pollfd(fd: stdin.isEmpty ? -1 : inFD, events: Int16(POLLOUT), revents: 0),
                   pollfd(fd: outFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        if stdin.isEmpty { close(inFD) }
        var written = 0
        var outputs: [[UInt8]] = [[], []]
        var buf = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { if errno == EINTR { continue } else { break } }
            if fds[0].fd >= 0 && fds[0].revents != 0 {
                let w = stdin.withUnsafeBytes { write(inFD, $0.baseAddress! + written, $0.count - written) }
                if w > 0 { written += w }
                if (w < 0 && errno != EINTR && errno != EAGAIN) || written == stdin.count || fds[0].revents & Int16(POLLERR) != 0 {
                    close(inFD); fds[0].fd = -1
                }
            }
            for i in 1...2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let r = buf.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if r > 0 { outputs[i - 1] += buf[0..<r] }
                else if r == 0 || errno != EINTR { close(fds[i].fd); fds[i].fd = -1 }
            }
        }
        return (outputs[0], outputs[1])
    }

    /// Waits for `pid`; its exit code, or 128 + signal. Wraps `waitpid(2)`.
    private static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 127 }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
