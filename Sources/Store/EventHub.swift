import Synchronization

/// The in-process fan-out: the writer publishes each committed batch into a ring of recent
/// events; every watcher reads the ring at its own cursor. A publish costs one lock and one
/// resume per *waiting* watcher, however many events it carries; a watcher that has fallen
/// out of the ring is told to catch up from the SQLite event log.
///
/// Revisions are dense (one event per revision), so revision `r` lives in slot
/// `r % capacity` while `r` is within the last `capacity` published.
final class EventHub: Sendable {
    /// What a watcher at `cursor` should do next.
    enum Read: Equatable {
        case events([WatchEvent])
        /// History after the cursor is no longer in the ring: read it from the event log.
        case catchUp
        /// Nothing after the cursor yet.
        case wait
        case expired(compacted: Revision)
        case closed
    }

    private struct State {
        var ring: [WatchEvent?]
        var count = 0                 // events held, ending at `last`
        var last: Revision            // latest published revision
        var compacted: Revision
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>
    let capacity: Int

    init(capacity: Int, revision: Revision, compacted: Revision) {
        precondition(capacity > 0)
        self.capacity = capacity
        state = Mutex(State(ring: Array(repeating: nil, count: capacity), last: revision, compacted: compacted))
    }

    var lastRevision: Revision { state.withLock { $0.last } }
    var compactedRevision: Revision { state.withLock { $0.compacted } }

    /// Appends committed events (consecutive revisions following `last`) and wakes watchers.
    func publish(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            for e in events {
                precondition(e.modRevision == s.last + 1, "revision gap: \(s.last) then \(e.modRevision)")
                s.ring[Int(e.modRevision % Int64(capacity))] = e
                s.last = e.modRevision
                s.count = min(s.count + 1, capacity)
            }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken { w.resume() }
    }

    /// Raises the compacted revision. Called before the history is deleted, so a watcher that
    /// read the log and then finds its cursor still above this value read a complete log.
    func compact(through revision: Revision) {
        state.withLock { $0.compacted = max($0.compacted, revision) }
    }

    /// Up to `max` events after `cursor`, or what to do instead.
    func read(after cursor: Revision, max: Int) -> Read {
        state.withLock { s in
            if s.closed { return .closed }
            if cursor < s.compacted { return .expired(compacted: s.compacted) }
            if cursor >= s.last { return .wait }
            let oldest = s.last - Revision(s.count) + 1
            if cursor + 1 < oldest { return .catchUp }
            let end = Swift.min(s.last, cursor + Revision(max))
            var out: [WatchEvent] = []
            out.reserveCapacity(Int(end - cursor))
            for r in (cursor + 1)...end { out.append(s.ring[Int(r % Int64(capacity))]!) }
            return .events(out)
        }
    }

    /// Returns once a revision after `cursor` is published, the hub closes, or the calling
    /// task is cancelled.
    func waitForEvents(after cursor: Revision) async {
        let id = state.withLock { s -> UInt64 in s.nextWaiterID += 1; return s.nextWaiterID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.closed || s.last > cursor || s.cancelled.remove(id) != nil { return true }
                    s.waiters[id] = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let c = s.waiters.removeValue(forKey: id) { return c }
                s.cancelled.insert(id)  // cancelled before it registered
                return nil
            }
            c?.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    /// Wakes every watcher; their next read returns `.closed`.
    func close() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken { w.resume() }
    }

    /// How many watchers are parked waiting (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.count } }
}
