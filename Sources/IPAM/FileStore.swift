#if canImport(Glibc)
import Glibc
#endif
import CNI

/// The node-local store: one directory per network under `dataDir`, holding
///
/// - `state.json` — every allocation and the round-robin cursors (`AllocationState.encoded()`),
/// - `lock` — an empty file whose `flock` serialises updates across processes,
/// - `state.json.tmp` — the next state while it is written; never read.
///
/// An update takes the lock, reads `state.json`, writes the new state to the temp file,
/// fsyncs it, renames it over `state.json` and fsyncs the directory. A process killed at any
/// point leaves the old or the new `state.json`; a torn temp file is never read, and the next
/// update overwrites or removes it. One file per network, so ADD never scans a directory.
public struct FileStore: Store {
    public var dataDir: String
    /// How long to wait for another process's lock before failing with code 11.
    public var lockTimeout: Double

    public init(dataDir: String = IPAMConfig.defaultDataDir, lockTimeout: Double = 30) {
        self.dataDir = dataDir
        self.lockTimeout = lockTimeout
    }

    public func directory(network: String) -> String { "\(dataDir)/\(network)" }
    public func stateFile(network: String) -> String { "\(directory(network: network))/state.json" }

    public func load(network: String) throws(CNIError) -> AllocationState {
        try checkName(network)
        return try read(stateFile(network: network))
    }

    public func update<T>(network: String, _ body: (inout AllocationState) throws(CNIError) -> T) throws(CNIError) -> T {
        try checkName(network)
        let dir = directory(network: network)
        // Don't create a directory for an update that changes nothing (DEL of an unknown pod).
        if !FileDescriptor.exists(dir) {
            var probe = AllocationState()
            let r = try body(&probe)
            if probe == AllocationState() { return r }
        }
        try io { () throws(SystemError) in
            if try FileDescriptor.makeDirectories(dir) { try FileDescriptor.syncDirectory(dataDir) }
        }
        let lock = try io { () throws(SystemError) in try FileDescriptor.open("\(dir)/lock", O_RDWR | O_CREAT, mode: 0o600) }
        defer { lock.close() }  // closing drops the flock
        try acquire(lock, network: network)

        let path = stateFile(network: network)
        let old = try read(path)
        var new = old
        let result = try body(&new)
        if new != old {
            try write(new, to: path, dir: dir)
        } else {
            // A writer killed mid-write leaves a torn temp file; it is never read, only cleared.
            try io { () throws(SystemError) in try FileDescriptor.unlinkIfPresent(path + ".tmp") }
        }
        return result
    }

    /// Makes the network's directory if needed and checks it is writable (`access(W_OK)`).
    public func checkWritable(network: String) throws(CNIError) {
        try checkName(network)
        let dir = directory(network: network)
        do {
            try FileDescriptor.makeDirectories(dir)
            try FileDescriptor.checkWritable(dir)
        } catch {
            throw CNIError(CNIError.notAvailable, "network \(network): store \(dir) is not writable", details: "\(error)")
        }
    }

    // MARK: - Steps

    private func checkName(_ network: String) throws(CNIError) {
        if let problem = IPAMConfig.networkNameProblem(network) {
            throw CNIError(CNIError.invalidConfig, "name: \(problem)")
        }
    }

    private func acquire(_ lock: FileDescriptor, network: String) throws(CNIError) {
        let deadline = FileDescriptor.now() + lockTimeout
        var pause: UInt32 = 500
        while try !io({ () throws(SystemError) in try lock.tryLockExclusive() }) {
            if FileDescriptor.now() > deadline {
                throw CNIError(CNIError.tryAgainLater,
                               "network \(network): store lock \(lock.path) held by another process for \(lockTimeout) s")
            }
            FileDescriptor.sleep(microseconds: pause)
            pause = min(pause * 2, 20_000)
        }
    }

    private func read(_ path: String) throws(CNIError) -> AllocationState {
        let bytes: [UInt8]
        do throws(SystemError) { bytes = try FileDescriptor.readAll(path: path) }
        catch where error.errno == ENOENT { return AllocationState() }
        catch { throw CNIError(CNIError.ioFailure, "\(error)") }
        do throws(StateFileError) { return try AllocationState(decoding: bytes) }
        // Never start over from an unreadable file: that would hand out addresses twice.
        catch { throw CNIError(CNIError.ioFailure, "state file \(path) is unreadable: \(error)") }
    }

    private func write(_ state: AllocationState, to path: String, dir: String) throws(CNIError) {
        let tmp = path + ".tmp"
        try io { () throws(SystemError) in
            let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
            do throws(SystemError) {
                try fd.writeAll(state.encoded())
                try fd.sync()
            } catch {
                fd.close()
                try? FileDescriptor.unlinkIfPresent(tmp)
                throw error
            }
            fd.close()
            try FileDescriptor.rename(tmp, path)
            try FileDescriptor.syncDirectory(dir)
        }
    }

    private func io<T>(_ body: () throws(SystemError) -> T) throws(CNIError) -> T {
        do { return try body() }
        catch { throw CNIError(CNIError.ioFailure, "\(error)") }
    }
}
