#if canImport(Glibc)
import Glibc
#endif
import CNI

/// The node-local store: one directory per network under `dataDir`, holding
///
/// - `state` — every allocation and the round-robin cursors (`AllocationState.encoded()`) in a
///   double-buffered container of two fixed-size slots (layout: `StateFileFormat`),
/// - `lock` — an empty file whose `flock` serialises updates across processes,
/// - `state.tmp` — a whole new `state` while it is written (first write, growth); never read.
///
/// An update takes the lock, reads the newest valid slot, and writes the new state with one
/// `pwrite` into the OTHER slot (generation + 1, CRC-32C over header and payload), then one
/// `fdatasync`. The file's blocks were written in full when it was made and its size never
/// changes, so that sync commits no metadata; there is no rename and no directory sync. A
/// process killed (or power lost) at any point leaves the slot holding the old state intact;
/// a torn new slot fails its checksum and is ignored, so a reader sees the old or the new state.
/// When neither slot is valid the store is corrupt: code 5, never a fresh start (that would
/// hand out addresses twice).
///
/// The file is made — first write, or a payload that outgrows its slot (slot size doubles) —
/// as `state.tmp` written in full, fsynced, renamed over `state`, then the directory fsynced.
/// A legacy `state.json` (the previous single-JSON format) is read when `state` is absent and
/// converted on the next update, then removed. `load` reads without the lock; if a concurrent
/// writer made both slots look torn it re-reads under a shared lock. One file per network, so
/// ADD never scans a directory.
public struct FileStore: Store {
    public var dataDir: String
    /// How long to wait for another process's lock before failing with code 11.
    public var lockTimeout: Double

    public init(dataDir: String = IPAMConfig.defaultDataDir, lockTimeout: Double = 30) {
        self.dataDir = dataDir
        self.lockTimeout = lockTimeout
    }

    public func directory(network: String) -> String { "\(dataDir)/\(network)" }
    /// The network's `state` file (format `StateFileFormat`).
    public func stateFile(network: String) -> String { "\(directory(network: network))/state" }
    /// The previous format's file, read and converted when `stateFile` is absent.
    public func legacyStateFile(network: String) -> String { "\(directory(network: network))/state.json" }

    public func load(network: String) throws(CNIError) -> AllocationState {
        try checkName(network)
        let path = stateFile(network: network)
        if case .state(let s) = try io({ () throws(SystemError) in try readUnlocked(network: network) }) { return s }
        // Both slots looked torn. Without the lock that can be two updates racing this read:
        // read again while holding the lock shared, so that no writer runs.
        let lock: FileDescriptor?
        do throws(SystemError) { lock = try FileDescriptor.openIfPresent("\(directory(network: network))/lock", O_RDONLY) }
        catch { throw CNIError(CNIError.ioFailure, "\(error)") }
        if let lock {
            defer { lock.close() }
            try acquire(lock, network: network, exclusive: false)
        }
        switch try io({ () throws(SystemError) in try readUnlocked(network: network) }) {
        case .state(let s): return s
        case .corrupt(let file, let why): throw unreadable(file ?? path, why)
        }
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
        // A writer killed while making a new file leaves a torn temp file; never read, only cleared.
        try io { () throws(SystemError) in try FileDescriptor.unlinkIfPresent(path + ".tmp") }
        let file = try io { () throws(SystemError) in try FileDescriptor.openIfPresent(path, O_RDWR) }
        defer { file?.close() }

        if let file {
            let current: Current
            switch try io({ () throws(SystemError) in try Self.readSlots(file) }) {
            case .state(let c): current = c
            case .corrupt(let why): throw unreadable(path, why)
            }
            var new = current.state
            let result = try body(&new)
            if new != current.state { try write(new, over: current, in: file, dir: dir) }
            return result
        }

        // No `state` yet: start from the legacy file if there is one, else from nothing.
        let legacyPath = legacyStateFile(network: network)
        let legacy: [UInt8]? = try io { () throws(SystemError) in try Self.readIfPresent(legacyPath) }
        let old: AllocationState
        if let legacy {
            do throws(StateFileError) { old = try AllocationState(decoding: legacy) }
            catch { throw unreadable(legacyPath, "\(error)") }
        } else {
            old = AllocationState()
        }
        var new = old
        let result = try body(&new)
        if legacy != nil || new != old {
            try makeFile(new, generation: 1, slotSize: StateFileFormat.initialSlotSize, dir: dir)
        }
        if legacy != nil {
            // `state` is durable (renamed, directory fsynced): the legacy files are dead. If this
            // unlink is lost in a crash, `state` still wins; `state.json` is read only without it.
            try io { () throws(SystemError) in
                try FileDescriptor.unlinkIfPresent(legacyPath)
                try FileDescriptor.unlinkIfPresent(legacyPath + ".tmp")
            }
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

    private func acquire(_ lock: FileDescriptor, network: String, exclusive: Bool = true) throws(CNIError) {
        let deadline = FileDescriptor.now() + lockTimeout
        var pause: UInt32 = 500
        while try !io({ () throws(SystemError) in try lock.tryLock(exclusive: exclusive) }) {
            if FileDescriptor.now() > deadline {
                throw CNIError(CNIError.tryAgainLater,
                               "network \(network): store lock \(lock.path) held by another process for \(lockTimeout) s")
            }
            FileDescriptor.sleep(microseconds: pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// The newest valid slot of an open `state` file.
    private struct Current {
        var state: AllocationState
        var generation: UInt64
        var slot: Int
        var slotSize: Int
    }

    private enum SlotRead {
        case state(Current)
        case corrupt(String)
    }

    private enum LoadRead {
        case state(AllocationState)
        case corrupt(file: String?, String)
    }

    /// The state as `load` sees it, without the lock: `state`, else legacy `state.json`, else
    /// `state` again (an update may have converted the legacy file meanwhile), else empty.
    private func readUnlocked(network: String) throws(SystemError) -> LoadRead {
        let path = stateFile(network: network)
        func fromState() throws(SystemError) -> LoadRead? {
            guard let fd = try FileDescriptor.openIfPresent(path, O_RDONLY) else { return nil }
            defer { fd.close() }
            switch try Self.readSlots(fd) {
            case .state(let c): return .state(c.state)
            case .corrupt(let why): return .corrupt(file: path, why)
            }
        }
        if let r = try fromState() { return r }
        let legacyPath = legacyStateFile(network: network)
        if let bytes = try Self.readIfPresent(legacyPath) {
            do throws(StateFileError) { return .state(try AllocationState(decoding: bytes)) }
            catch { return .corrupt(file: legacyPath, "\(error)") }
        }
        return try fromState() ?? .state(AllocationState())
    }

    /// Reads both slots' headers, then the payload of the valid slot with the higher generation.
    /// A slot whose checksum matches but whose payload does not decode is corrupt, not skipped:
    /// falling back to the older slot would silently lose the newest state.
    private static func readSlots(_ fd: FileDescriptor) throws(SystemError) -> SlotRead {
        let size = try fd.size()
        let slotSize = size / 2
        guard size % 2 == 0, StateFileFormat.isValidSlotSize(slotSize) else {
            return .corrupt("size \(size) is not two slots of a power of two ≥ \(StateFileFormat.initialSlotSize) bytes")
        }
        var candidates: [(slot: Int, bytes: [UInt8], header: StateFileFormat.Header)] = []
        for slot in 0..<2 {
            let bytes = try fd.read(count: StateFileFormat.headerSize, at: slot * slotSize)
            if let header = StateFileFormat.header(bytes, slotSize: slotSize) { candidates.append((slot, bytes, header)) }
        }
        for c in candidates.sorted(by: { $0.header.generation > $1.header.generation }) {
            let payload = try fd.read(count: c.header.length, at: c.slot * slotSize + StateFileFormat.headerSize)
            guard StateFileFormat.verify(headerBytes: c.bytes, c.header, payload: payload) else { continue }
            do throws(StateFileError) {
                let state = try AllocationState(decoding: payload)
                return .state(Current(state: state, generation: c.header.generation, slot: c.slot, slotSize: slotSize))
            } catch {
                return .corrupt("slot \(c.slot) (generation \(c.header.generation)): \(error)")
            }
        }
        return .corrupt("no slot has a valid header and checksum")
    }

    /// Writes `state` into the slot `current` does not occupy: one `pwrite`, one `fdatasync`.
    /// A payload too big for the slot makes a new file with bigger slots instead.
    private func write(_ state: AllocationState, over current: Current, in file: FileDescriptor, dir: String) throws(CNIError) {
        let payload = state.encoded()
        let generation = current.generation &+ 1
        if StateFileFormat.headerSize + payload.count > current.slotSize {
            try makeFile(state, generation: generation, slotSize: current.slotSize * 2, dir: dir)
            return
        }
        let offset = (1 - current.slot) * current.slotSize
        try io { () throws(SystemError) in
            do throws(SystemError) {
                try file.write(StateFileFormat.slotImage(generation: generation, payload: payload), at: offset)
                try file.syncData()
            } catch {
                // Not durable, yet readers would see it in the page cache: spoil its magic so
                // that they keep reading the old slot (best effort; the old slot is intact).
                try? file.write([UInt8](repeating: 0, count: 8), at: offset)
                throw error
            }
        }
    }

    /// Makes a whole `state` file — `state` in slot 0, slot 1 empty — as `state.tmp`, fsyncs
    /// it, renames it over `state` and fsyncs the directory. Every block is written here, so
    /// that later in-place writes never turn unwritten extents into written ones (metadata).
    private func makeFile(_ state: AllocationState, generation: UInt64, slotSize minimum: Int, dir: String) throws(CNIError) {
        let payload = state.encoded()
        guard let slotSize = StateFileFormat.slotSize(forPayload: payload.count, atLeast: minimum) else {
            throw CNIError(CNIError.ioFailure, "state of \(payload.count) bytes is too big for \(dir)")
        }
        let path = "\(dir)/state"
        let tmp = path + ".tmp"
        var image = StateFileFormat.slotImage(generation: generation, payload: payload)
        image += [UInt8](repeating: 0, count: 2 * slotSize - image.count)
        try io { () throws(SystemError) in
            let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
            do throws(SystemError) {
                try fd.allocate(length: image.count)
                try fd.write(image, at: 0)
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

    private static func readIfPresent(_ path: String) throws(SystemError) -> [UInt8]? {
        do throws(SystemError) { return try FileDescriptor.readAll(path: path) }
        catch where error.errno == ENOENT { return nil }
    }

    private func unreadable(_ path: String, _ why: String) -> CNIError {
        // Never start over from an unreadable file: that would hand out addresses twice.
        CNIError(CNIError.ioFailure, "state file \(path) is unreadable: \(why)")
    }

    private func io<T>(_ body: () throws(SystemError) -> T) throws(CNIError) -> T {
        do { return try body() }
        catch { throw CNIError(CNIError.ioFailure, "\(error)") }
    }
}
