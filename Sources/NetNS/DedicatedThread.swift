#if canImport(Glibc)
import Glibc
#endif

private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a fresh POSIX thread and waits for it to finish.
///
/// Used for anything that changes per-thread kernel state (`setns`, `unshare`): the thread
/// ends with the body, so the change can never leak into a pooled thread.
public func onDedicatedThread(_ body: () -> Void) {
    withoutActuallyEscaping(body) { escapable in
        let box = Unmanaged.passRetained(ThreadBody(escapable)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let body = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        if rc != 0 {
            // No thread: run nothing rather than run in the wrong namespace.
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            fatalError("pthread_create: \(String(cString: strerror(rc)))")
        }
        pthread_join(thread, nil)
    }
}
