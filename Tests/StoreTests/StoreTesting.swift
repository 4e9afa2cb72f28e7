import Foundation
import Store
import TestSupport

/// Bytes of a string, for test values.
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A fresh store in a scratch directory, closed (and the directory removed) afterwards.
func withStore<T>(options: SQLiteStore.Options = .init(),
                  _ body: (SQLiteStore, ScratchDirectory) async throws -> T) async throws -> T {
    let dir = try ScratchDirectory()
    let store = try SQLiteStore(path: dir.path + "/store.db", options: options)
    defer { store.close() }
    return try await body(store, dir)
}

enum CollectError: Error, CustomStringConvertible {
    case timedOut(got: [WatchEvent], wanted: Int)
    var description: String {
        switch self { case .timedOut(let got, let wanted): "timed out with \(got.count)/\(wanted) events: \(got.suffix(5))" }
    }
}

/// The first `count` events of `stream`; throws if they do not arrive within `timeout`.
/// A timeout cancels the iteration, which ends the stream for good.
func collect(_ stream: AsyncThrowingStream<WatchEvent, Error>, count: Int,
             timeout: Duration = .seconds(20)) async throws -> [WatchEvent] {
    let got = try await withThrowingTaskGroup(of: [WatchEvent]?.self) { group in
        group.addTask {
            var out: [WatchEvent] = []
            if count == 0 { return out }
            for try await e in stream {
                out.append(e)
                if out.count == count { break }
            }
            return out  // early: cancelled by the timeout
        }
        group.addTask { try? await Task.sleep(for: timeout); return nil }
        var result: [WatchEvent] = []
        for try await r in group {
            group.cancelAll()  // the collector returns what it has; the sleeper returns nil
            if let r { result = r; break }
        }
        return result
    }
    if got.count != count { throw CollectError.timedOut(got: got, wanted: count) }
    return got
}
