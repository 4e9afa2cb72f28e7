#if canImport(Glibc)
import Glibc
#endif
import NetNS

/// Runs `body` on a thread inside `netns`, or right here when `netns` is nil (the kubelet
/// already runs in its node's namespace).
func inNamespace<T>(_ netns: NetNS?, _ body: () throws -> T) throws -> T {
    if let netns { return try netns.withEntered(body) }
    return try body()
}

/// Runs blocking work (a plugin, a probe, a namespace switch) off the Swift concurrency pool,
/// which has only as many threads as cores.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        startDetachedThread { continuation.resume(with: Result { try body() }) }
    }
}

private final class ThreadWork: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// A detached POSIX thread running `body` (started from a nonisolated function; see NOTES).
func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(ThreadWork(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        Unmanaged<ThreadWork>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<ThreadWork>.fromOpaque(box).release()
        body()  // no thread to be had: run it here rather than never
        return
    }
    pthread_detach(thread)
}
