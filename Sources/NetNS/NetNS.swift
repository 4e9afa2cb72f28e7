#if canImport(Glibc)
import Glibc
#endif
internal import CLinux

/// A handle on a network namespace: an open file descriptor on its nsfs inode.
///
/// Named namespaces live where iproute2 keeps them (`/var/run/netns/NAME`, a bind mount of the
/// namespace inode), so `ip netns` and Trellis see the same set.
public final class NetNS: @unchecked Sendable, CustomStringConvertible {
    /// The directory iproute2 uses for named namespaces.
    public static let runDirectory = "/var/run/netns"

    /// The path this handle was opened from.
    public let path: String
    /// The open descriptor; valid for the life of this object.
    public let fileDescriptor: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fileDescriptor = fd
    }

    deinit { close(fileDescriptor) }

    public var description: String { path }

    /// Opens the namespace at `path` (a bind mount or `/proc/PID/ns/net`).
    public static func open(path: String) throws(NetNSError) -> NetNS {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetNSError("open", path, errno: errno) }
        // Only an nsfs inode of a network namespace is a namespace handle.
        let fsType = trellis_fstatfs_type(fd)
        if fsType != -1 && fsType != nsfsMagic {
            close(fd)
            throw NetNSError("open", path, errno: EINVAL)
        }
        return NetNS(path: path, fd: fd)
    }

    /// Opens the namespace called `name` under `runDirectory`.
    public static func open(named name: String) throws(NetNSError) -> NetNS {
        try validate(name: name)
        return try open(path: "\(runDirectory)/\(name)")
    }

    /// The calling thread's namespace.
    public static func current() throws(NetNSError) -> NetNS {
        try open(path: "/proc/thread-self/ns/net")
    }

    /// The path of a named namespace.
    public static func path(named name: String) -> String { "\(runDirectory)/\(name)" }

    /// Creates a new, empty namespace bound at `runDirectory/name`.
    /// Equivalent to `ip netns add NAME`.
    public static func create(named name: String) throws(NetNSError) -> NetNS {
        try validate(name: name)
        try prepareRunDirectory()
        let path = path(named: name)
        let fd = Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        guard fd >= 0 else { throw NetNSError("create", path, errno: errno) }
        close(fd)
        var failure: NetNSError?
        onDedicatedThread {
            if trellis_unshare_netns() != 0 {
                failure = NetNSError("unshare", path, errno: errno)
            } else if mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil) != 0 {
                failure = NetNSError("bind mount", path, errno: errno)
            }
        }
        if let failure {
            unlink(path)
            throw failure
        }
        return try open(path: path)
    }

    /// Removes the named namespace's bind mount. The namespace itself goes away when no
    /// process or descriptor holds it. Equivalent to `ip netns delete NAME`.
    public static func delete(named name: String) throws(NetNSError) {
        try validate(name: name)
        let path = path(named: name)
        // EINVAL: not a mount point (a half-created entry); still remove the file.
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL {
            throw NetNSError("umount", path, errno: errno)
        }
        if unlink(path) != 0 { throw NetNSError("delete", path, errno: errno) }
    }

    /// Names of the namespaces under `runDirectory`. Equivalent to `ip netns list`.
    public static func list() -> [String] {
        guard let dir = opendir(runDirectory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether two handles name the same namespace (same nsfs inode).
    public func isSame(as other: NetNS) -> Bool {
        var a = stat(), b = stat()
        guard fstat(fileDescriptor, &a) == 0, fstat(other.fileDescriptor, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Runs `body` on a new OS thread that has entered this namespace, and waits for it.
    ///
    /// `setns` affects only the calling thread, so the thread is discarded afterwards: nothing
    /// else ever runs in the wrong namespace. Never `await` inside `body`.
    public func withEntered<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>?
        let fd = fileDescriptor
        let path = self.path
        onDedicatedThread {
            if trellis_setns_netns(fd) != 0 {
                result = .failure(NetNSError("setns", path, errno: errno))
                return
            }
            result = Result { try body() }
        }
        return try result!.get()
    }

    // MARK: - Private

    private static let nsfsMagic = 0x6e73_6673

    static func validate(name: String) throws(NetNSError) {
        if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.utf8.count > 255 {
            throw NetNSError("validate name", "\"\(name)\"", errno: EINVAL)
        }
    }

    /// Makes the run directory a shared mount point, as iproute2 does, so bind mounts made
    /// here propagate into other mount namespaces (e.g. `ip netns exec`).
    ///
    /// Two processes doing this at once could each find the directory unmounted and stack two
    /// bind mounts, hiding namespaces made under the lower one; an flock serializes it (iproute2
    /// does the same steps without a lock, so do not race it with `ip netns add` either).
    static func prepareRunDirectory() throws(NetNSError) {
        let lockPath = "/var/run/trellis-netns.lock"
        let lock = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw NetNSError("open", lockPath, errno: errno) }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw NetNSError("flock", lockPath, errno: errno) }
        }
        try makeRunDirectoryShared()
    }

    private static func makeRunDirectoryShared() throws(NetNSError) {
        if mkdir("/var/run", 0o755) != 0 && errno != EEXIST {
            throw NetNSError("mkdir", "/var/run", errno: errno)
        }
        if mkdir(runDirectory, 0o755) != 0 && errno != EEXIST {
            throw NetNSError("mkdir", runDirectory, errno: errno)
        }
        if mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) == 0 { return }
        guard errno == EINVAL else { throw NetNSError("mount --make-rshared", runDirectory, errno: errno) }
        if mount(runDirectory, runDirectory, "none", UInt(MS_BIND | MS_REC), nil) != 0 {
            throw NetNSError("bind mount", runDirectory, errno: errno)
        }
        if mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 {
            throw NetNSError("mount --make-rshared", runDirectory, errno: errno)
        }
    }
}
