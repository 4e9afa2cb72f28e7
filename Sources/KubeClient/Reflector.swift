import KubeAPI

/// Keeps an `InformerCache` equal to the server's objects of one kind and selection: LIST,
/// then WATCH from the list's resourceVersion.
///
/// Every event (and bookmark) advances the version the next watch starts from. A watch the
/// server ends, or a broken connection, is resumed from that version, after a backoff with
/// jitter when it failed; 410 Gone (as a status or an ERROR event) means that history is lost,
/// so the reflector lists again and reports the differences from the cache as adds, updates
/// and deletes. Each change to the cache is made inside `emit`, which runs it under the
/// informer's lock and hands what changed to the handlers, so that a handler added at any
/// moment sees each change exactly once.
struct Reflector<T: KubeObject>: Sendable {
    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    let fieldSelector: String?
    let cache: InformerCache<T>
    var backoff: Backoff
    /// Upper bound of the server-side watch timeout; each watch draws from its upper half.
    var watchTimeoutSeconds = 600

    /// Runs until the task is cancelled. `synced` is called after each successful LIST,
    /// `failed` with each error the loop recovers from.
    func run(emit: @Sendable (() -> [InformerEvent<T>]) -> Void, synced: @Sendable () -> Void,
             failed: @Sendable (any Error) -> Void = { _ in }) async {
        var backoff = backoff
        var version: String?
        while !Task.isCancelled {
            do {
                if version == nil {
                    let list = try await client.list(T.self, namespace: namespace,
                                                      options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector))
                    emit { cache.replace(list.items) }
                    version = list.metadata.resourceVersion ?? "0"
                    synced()
                    backoff.reset()
                }
                let timeout = Int.random(in: watchTimeoutSeconds / 2...max(watchTimeoutSeconds, 1))
                let events = client.watch(T.self, namespace: namespace, labelSelector: labelSelector,
                                          fieldSelector: fieldSelector, resourceVersion: version, allowBookmarks: true,
                                          timeoutSeconds: timeout)
                var received = false
                for try await event in events {
                    if let rv = event.object?.metadata.resourceVersion, !rv.isEmpty { version = rv }
                    emit { apply(event).map { [$0] } ?? [] }
                    received = true
                    backoff.reset()
                }
                // The server ended the watch (timeout, shutdown): resume from `version`, after a
                // pause if it ended without a single event.
                if !received { try await Task.sleep(for: backoff.next()) }
            } catch let error as KubeClientError where error.isGone {
                failed(error)
                version = nil  // relist at once
            } catch is CancellationError {
                return
            } catch KubeClientError.shutdown {
                return
            } catch {
                if Task.isCancelled { return }
                failed(error)
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Applies one watch event to the cache; the change it made, if any.
    func apply(_ event: WatchEvent<T>) -> InformerEvent<T>? {
        guard var object = event.object else { return nil }
        object.setTypeMeta()
        switch event.type {
        case .added, .modified:
            if let old = cache.upsert(object) { return .updated(old: old, new: object) }
            return .added(object)
        case .deleted:
            return cache.remove(key: InformerCache<T>.key(of: object)).map { _ in .deleted(object) }
        default:
            return nil  // BOOKMARK: only the version moves
        }
    }
}
