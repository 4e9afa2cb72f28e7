import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A failed step of the proxy outside nftables (those keep `NFTablesError`): the operation,
/// the object and the exit status or errno.
public struct ProxyError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var object: String
    public var status: Int32?
    public var errno: Int32?

    public init(_ operation: String, _ object: String, status: Int32? = nil, errno: Int32? = nil) {
        self.operation = operation
        self.object = object
        self.status = status
        self.errno = errno
    }

    public var description: String {
        var s = "\(operation) \(object)"
        if let status { s += ": exit status \(status)" }
        if let errno { s += ": \(String(cString: strerror(errno)))" }
        return s
    }
}

/// Runs a command with a clean signal mask and dispositions (threads of Swift concurrency
/// block nearly every signal and an exec'd child inherits the mask), output to /dev/null.
/// Returns the exit status (128 + signal when killed).
func runCommand(_ args: [String]) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    _ = withUnsafeMutablePointer(to: &attr) { trellis_spawnattr_clean_signals(UnsafeMutableRawPointer($0), 0) }
    let argv = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid = pid_t()
    let rc = posix_spawnp(&pid, args[0], &actions, &attr, argv, environ)
    guard rc == 0 else { throw ProxyError("posix_spawnp", args[0], errno: rc) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let sig = status & 0x7f
    return sig == 0 ? (status >> 8) & 0xff : 128 + sig
}
