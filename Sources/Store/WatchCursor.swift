/// One watcher's position. It pulls from the hub's ring when it can and from the SQLite
/// event log when it has fallen behind the ring, so a slow watcher costs memory only for
/// its own current page, never a growing queue.
final class WatchCursor: @unchecked Sendable {
    // @unchecked: AsyncThrowingStream(unfolding:) calls `next` from one iterator at a time.
    private let prefix: String
    private var revision: Revision
    private var buffered: [WatchEvent] = []
    private var index = 0
    private let hub: EventHub
    private let readers: ReaderPool
    static let page = 512

    init(prefix: String, revision: Revision, hub: EventHub, readers: ReaderPool) {
        self.prefix = prefix; self.revision = revision; self.hub = hub; self.readers = readers
    }

    /// The next matching event; nil when the consuming task is cancelled.
    func next() async throws -> WatchEvent? {
        while true {
            while index < buffered.count {
                let e = buffered[index]
                index += 1
                if e.key.hasPrefix(prefix) { return e }
            }
            if Task.isCancelled { return nil }
            buffered = []
            index = 0
            switch hub.read(after: revision, max: Self.page) {
            case .events(let events):
                take(events)
            case .catchUp:
                try catchUp()
            case .wait:
                await hub.waitForEvents(after: revision)
            case .expired(let compacted):
                throw StoreError.expired(requested: revision, compacted: compacted)
            case .closed:
                throw StoreError.closed
            }
        }
    }

    private func take(_ events: [WatchEvent]) {
        buffered = events
        if let last = events.last { revision = last.modRevision }
    }

    /// Reads the next page from the event log. Compaction raises the hub's compacted
    /// revision before deleting, so if the cursor is still above it after the read, the page
    /// is complete; revisions are dense, so a gap can only mean lost history.
    private func catchUp() throws(StoreError) {
        let events = try readers.withConnection { c throws(StoreError) in try c.events(after: revision, max: Self.page) }
        let compacted = hub.compactedRevision
        if revision < compacted { throw .expired(requested: revision, compacted: compacted) }
        for (i, e) in events.enumerated() where e.modRevision != revision + 1 + Revision(i) {
            throw .corrupt("event log jumps from revision \(revision + Revision(i)) to \(e.modRevision)")
        }
        take(events)
    }
}
