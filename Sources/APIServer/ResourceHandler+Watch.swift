import Foundation
import KubeAPI
import Store
import Synchronization

extension ResourceHandler {
    /// `?watch=1`: newline-delimited `{"type":..,"object":..}` events, streamed.
    ///
    /// resourceVersion "" or "0" sends the current state as ADDED events, then follows; an exact
    /// version sends what happened after it, or 410 Gone when that history was compacted.
    func watch(_ target: ResourcePath, _ request: APIRequest) throws -> APIResponse {
        let filter = try ObjectFilter(query: request.query, resource: target.resource, name: target.name)
        let prefix = prefix(target)
        var initial: [[UInt8]] = []
        let from: Revision
        let requested = request.query["resourceVersion"] ?? ""
        if requested.isEmpty || requested == "0" {
            let snapshot = try collect(prefix: prefix, filter: filter, limit: nil, after: nil)
            initial = snapshot.items.map { Self.line("ADDED", $0.json) }
            from = snapshot.revision
        } else {
            guard let revision = Revision(requested), revision >= 0 else {
                throw Status.badRequest("invalid resourceVersion \"\(requested)\"")
            }
            from = revision
        }
        let events = try store.watch(prefix: prefix, fromRevision: from)
        let timeout = request.query["timeoutSeconds"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        let bookmark: Duration? = request.flag("allowWatchBookmarks") ? bookmarkInterval : nil
        let stream = Self.eventStream(events, initial: initial, from: from, filter: filter, resource: target.resource,
                                      timeout: timeout, bookmarkInterval: bookmark, cache: eventCache)
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
    }

    /// Events a watcher may fall behind by before it is dropped.
    static let watchBufferLimit = 1000

    /// Merges the store's events (filtered and encoded), bookmarks and the timeout into one
    /// stream of lines. Ending the stream (client gone) cancels all three tasks.
    ///
    /// A watcher more than `watchBufferLimit` events behind is ended, as kube-apiserver ends slow
    /// watchers: the client watches again from the last resourceVersion it saw, reading the
    /// missed events from the store instead of from this process's memory.
    static func eventStream(_ events: AsyncThrowingStream<Store.WatchEvent, Error>, initial: [[UInt8]], from: Revision,
                            filter: ObjectFilter, resource: ResourceInfo, timeout: Int?,
                            bookmarkInterval: Duration?, cache: EventEncodingCache? = nil) -> AsyncThrowingStream<[UInt8], Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(initial.count + watchBufferLimit)) { continuation in
            for line in initial { continuation.yield(line) }
            let progress = WatchProgress(from)
            let pump = Task {
                do {
                    for try await event in events {
                        if let line = try translate(event, filter: filter, cache: cache), case .dropped = continuation.yield(line) {
                            break
                        }
                        progress.set(event.modRevision)
                    }
                    continuation.finish()
                } catch let StoreError.expired(requested, compacted) {
                    let status = Status.expired(requested: requested, compacted: compacted)
                    continuation.yield(line("ERROR", (try? JSONValue(encoding: status)) ?? .null))
                    continuation.finish()
                } catch {
                    continuation.finish()
                }
            }
            let timer = Task {
                guard let timeout else { return }
                try? await Task.sleep(for: .seconds(timeout))
                continuation.finish()
            }
            let bookmarks = Task {
                guard let bookmarkInterval else { return }
                while !Task.isCancelled {
                    try? await Task.sleep(for: bookmarkInterval)
                    if Task.isCancelled { break }
                    let object: JSONValue = ["apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind),
                                             "metadata": ["resourceVersion": .string(String(progress.get()))]]
                    continuation.yield(line("BOOKMARK", object))
                }
            }
            continuation.onTermination = { _ in
                pump.cancel()
                timer.cancel()
                bookmarks.cancel()
            }
        }
    }

    /// One store event as the watcher sees it through its selectors: an object that starts
    /// matching is ADDED, one that stops matching is DELETED, one that never matched is skipped.
    static func translate(_ event: Store.WatchEvent, filter: ObjectFilter, cache: EventEncodingCache? = nil) throws -> [UInt8]? {
        let (object, bytes) = try cache?.entry(for: event) ?? EventEncodingCache.encode(event)
        let now = filter.isEmpty || filter.matches(object)
        switch event.kind {
        case .added: return now ? line("ADDED", encoded: bytes) : nil
        case .deleted: return now ? line("DELETED", encoded: bytes) : nil
        case .modified:
            let before = filter.isEmpty ? true
                : try event.previousValue.map { filter.matches(try ObjectDocument(stored: $0, revision: event.modRevision)) } ?? false
            switch (before, now) {
            case (true, true): return line("MODIFIED", encoded: bytes)
            case (false, true): return line("ADDED", encoded: bytes)
            case (true, false): return line("DELETED", encoded: bytes)
            case (false, false): return nil
            }
        }
    }

    /// `{"type":TYPE,"object":OBJECT}` and a newline, around an object already encoded.
    static func line(_ type: String, encoded object: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(object.count + 40)
        out += Array("{\"type\":\"\(type)\",\"object\":".utf8)
        out += object
        out += Array("}\n".utf8)
        return out
    }

    static func line(_ type: String, _ object: JSONValue) -> [UInt8] {
        Array(KubeJSON.encode(JSONValue.object(["type": .string(type), "object": object]))) + [UInt8(ascii: "\n")]
    }
}

/// Each store event decoded and encoded once for all the watchers that deliver it (kube-apiserver
/// caches serialized watch events the same way): a ring of the most recent events by revision.
public final class EventEncodingCache: Sendable {
    private struct Entry {
        var revision: Revision
        var object: ObjectDocument
        var bytes: [UInt8]
    }
    private let slots: Mutex<[Entry?]>
    private let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        slots = Mutex(Array(repeating: nil, count: capacity))
    }

    func entry(for event: Store.WatchEvent) throws -> (ObjectDocument, [UInt8]) {
        let slot = Int(UInt64(bitPattern: event.modRevision) % UInt64(capacity))
        if let hit = slots.withLock({ $0[slot] }), hit.revision == event.modRevision { return (hit.object, hit.bytes) }
        let (object, bytes) = try Self.encode(event)
        slots.withLock { $0[slot] = Entry(revision: event.modRevision, object: object, bytes: bytes) }
        return (object, bytes)
    }

    static func encode(_ event: Store.WatchEvent) throws -> (ObjectDocument, [UInt8]) {
        let object = try ObjectDocument(stored: event.value, revision: event.modRevision)
        return (object, Array(KubeJSON.encode(object.json)))
    }
}

/// The revision a watch has delivered through, for BOOKMARK events: every event up to it has
/// been sent (or filtered out).
final class WatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var revision: Revision
    init(_ revision: Revision) { self.revision = revision }
    func set(_ value: Revision) { lock.lock(); revision = value; lock.unlock() }
    func get() -> Revision { lock.lock(); defer { lock.unlock() }; return revision }
}
