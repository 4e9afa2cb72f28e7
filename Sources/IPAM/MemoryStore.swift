import CNI
import Synchronization

/// An in-memory `Store` for pure tests, with fault injection: make the nth write fail.
@available(macOS 15.0, *)
public final class MemoryStore: Store {
    private struct Contents {
        var networks: [String: AllocationState] = [:]
        var writes = 0
        var failingWrite: Int?
        var unwritable = false
    }
    private let contents = Mutex(Contents())

    public init(_ networks: [String: AllocationState] = [:]) {
        contents.withLock { $0.networks = networks }
    }

    /// Makes the `n`th write from now (1 = the next) fail with code 5, once.
    public func failWrite(_ n: Int) {
        contents.withLock { $0.failingWrite = $0.writes + n }
    }

    /// Makes `checkWritable` fail, as a read-only data directory would.
    public func setUnwritable(_ unwritable: Bool) {
        contents.withLock { $0.unwritable = unwritable }
    }

    /// How many updates changed (and so wrote) a state.
    public var writes: Int { contents.withLock { $0.writes } }

    public func state(of network: String) -> AllocationState {
        contents.withLock { $0.networks[network] ?? AllocationState() }
    }

    public func load(network: String) throws(CNIError) -> AllocationState { state(of: network) }

    public func update<T>(network: String, _ body: (inout AllocationState) throws(CNIError) -> T) throws(CNIError) -> T {
        let outcome: Result<T, CNIError> = contents.withLock { c in
            let old = c.networks[network] ?? AllocationState()
            var new = old
            let r: T
            do throws(CNIError) { r = try body(&new) } catch { return .failure(error) }
            if new == old { return .success(r) }
            c.writes += 1
            if c.writes == c.failingWrite {
                return .failure(CNIError(CNIError.ioFailure, "injected failure of write \(c.writes)"))
            }
            c.networks[network] = new
            return .success(r)
        }
        return try outcome.get()
    }

    public func checkWritable(network: String) throws(CNIError) {
        if contents.withLock({ $0.unwritable }) {
            throw CNIError(CNIError.notAvailable, "network \(network): store is not writable (injected)")
        }
    }
}
