#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the call, its object and errno.
struct SystemError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var errno: Int32

    var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}

/// The one place the store calls libc. Every call loops on EINTR and throws `SystemError`.
struct FileDescriptor {
    let raw: Int32
    let path: String

    /// Runs `body` until it stops failing with EINTR; throws on -1.
    @discardableResult
    static func retrying(_ operation: String, _ path: String, _ body: () -> Int32) throws(SystemError) -> Int32 {
        while true {
            let r = body()
            if r != -1 { return r }
            if errno == EINTR { continue }
            throw SystemError(operation: operation, path: path, errno: errno)
        }
    }

    /// Equivalent to `open(2)` with `O_CLOEXEC` added.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> FileDescriptor {
        let fd = try retrying("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Equivalent to `close(2)`; errors are ignored (the descriptor is gone either way).
    func close() { _ = Glibc.close(raw) }

    /// Reads to end of file with `read(2)`.
    func readAll() throws(SystemError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try Self.retrying("read", path) {
                Int32(chunk.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress, $0.count) })
            }
            if n == 0 { return out }
            out += chunk[..<Int(n)]
        }
    }

    /// Writes every byte, looping on short writes. Equivalent to `write(2)`.
    func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = try Self.retrying("write", path) {
                Int32(bytes.withUnsafeBytes { Glibc.write(raw, $0.baseAddress! + offset, $0.count - offset) })
            }
            offset += Int(n)
        }
    }

    /// Equivalent to `fsync(2)`.
    func sync() throws(SystemError) { try Self.retrying("fsync", path) { Glibc.fsync(raw) } }

    /// Equivalent to `fdatasync(2)`: the data and only the metadata needed to read it back.
    func syncData() throws(SystemError) { try Self.retrying("fdatasync", path) { Glibc.fdatasync(raw) } }

    /// Reads exactly `count` bytes at `offset` with `pread(2)`; fewer only at end of file.
    func read(count: Int, at offset: Int) throws(SystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try Self.retrying("pread", path) {
                Int32(out.withUnsafeMutableBytes { Glibc.pread(raw, $0.baseAddress! + done, count - done, off_t(offset + done)) })
            }
            if n == 0 { break }
            done += Int(n)
        }
        return done == count ? out : Array(out[..<done])
    }

    /// Writes every byte at `offset` with `pwrite(2)`, looping on short writes.
    func write(_ bytes: [UInt8], at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let n = try Self.retrying("pwrite", path) {
                Int32(bytes.withUnsafeBytes { Glibc.pwrite(raw, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) })
            }
            done += Int(n)
        }
    }

    /// Equivalent to `posix_fallocate(3)`: reserves blocks for `[0, length)` or fails (ENOSPC).
    func allocate(length: Int) throws(SystemError) {
        while true {
            let r = Glibc.posix_fallocate(raw, 0, off_t(length))  // returns the error, not -1
            if r == 0 { return }
            if r == EINTR { continue }
            throw SystemError(operation: "posix_fallocate", path: path, errno: r)
        }
    }

    /// The file's size in bytes. Equivalent to `fstat(2)`'s `st_size`.
    func size() throws(SystemError) -> Int {
        var st = stat()
        try Self.retrying("fstat", path) { Glibc.fstat(raw, &st) }
        return Int(st.st_size)
    }

    /// Equivalent to `flock(fd, LOCK_EX | LOCK_NB)` (or `LOCK_SH`); false when another holder has it.
    func tryLock(exclusive: Bool = true) throws(SystemError) -> Bool {
        let lock: (Int32, Int32) -> Int32 = flock
        do throws(SystemError) {
            try Self.retrying("flock", path) { lock(raw, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) }
            return true
        } catch where error.errno == EWOULDBLOCK {
            return false
        }
    }

    /// `open(2)`, or nil when the file does not exist.
    static func openIfPresent(_ path: String, _ flags: Int32) throws(SystemError) -> FileDescriptor? {
        do throws(SystemError) { return try open(path, flags) }
        catch where error.errno == ENOENT { return nil }
    }

    /// Reads a whole file. Equivalent to `open` + `read` + `close`.
    static func readAll(path: String) throws(SystemError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { fd.close() }
        return try fd.readAll()
    }

    /// Equivalent to `rename(2)`.
    static func rename(_ from: String, _ to: String) throws(SystemError) {
        try retrying("rename", "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    /// Equivalent to `unlink(2)`; a missing file is not an error.
    static func unlinkIfPresent(_ path: String) throws(SystemError) {
        do throws(SystemError) { try retrying("unlink", path) { Glibc.unlink(path) } }
        catch where error.errno == ENOENT {}
    }

    /// Makes `path` and missing parents (`mkdir -p`); returns whether the last one was new.
    @discardableResult
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) -> Bool {
        var prefix = path.hasPrefix("/") ? "" : "."
        var created = false
        for part in path.split(separator: "/") {
            prefix += "/" + part
            do throws(SystemError) { try retrying("mkdir", prefix) { Glibc.mkdir(prefix, mode) }; created = true }
            catch where error.errno == EEXIST { created = false }
        }
        return created
    }

    /// fsyncs a directory so that entries created or renamed in it survive a crash.
    static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { fd.close() }
        try fd.sync()
    }

    /// Whether `path` exists. Equivalent to `access(path, F_OK)`.
    static func exists(_ path: String) -> Bool { Glibc.access(path, F_OK) == 0 }

    /// Equivalent to `access(path, W_OK)`.
    static func checkWritable(_ path: String) throws(SystemError) {
        try retrying("access(W_OK)", path) { Glibc.access(path, W_OK) }
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Equivalent to `usleep(3)`.
    static func sleep(microseconds: UInt32) { _ = usleep(microseconds) }
}
