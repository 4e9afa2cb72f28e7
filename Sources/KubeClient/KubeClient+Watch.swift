import Foundation
import KubeAPI
import NIOCore

extension KubeClient {
    /// WATCH a kind: one `WatchEvent` per line of the server's chunked stream, decoded as each
    /// line completes (the stream is never buffered whole).
    ///
    /// `resourceVersion` nil or "0" starts with the current objects as ADDED events; an exact
    /// version starts after it. BOOKMARK events (with `allowBookmarks`) carry only a newer
    /// `metadata.resourceVersion`. The stream ends normally when the server ends the watch
    /// (timeout, restart) and throws `KubeClientError.api` for an error status or an ERROR event
    /// (410 Gone: `isGone`), or `.transport` if the connection breaks. Stopping iteration (or
    /// cancelling the iterating task) closes the connection.
    public func watch<T: KubeObject>(_ type: T.Type, namespace: String? = nil, labelSelector: String? = nil,
                                     fieldSelector: String? = nil, resourceVersion: String? = nil,
                                     allowBookmarks: Bool = true, timeoutSeconds: Int? = nil)
        -> AsyncThrowingStream<WatchEvent<T>, any Error> {
        var query = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector,
                                resourceVersion: resourceVersion).query
        query.insert(("watch", "1"), at: 0)
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        let path = T.resource.collectionPath(namespace: T.resource.namespaced ? namespace : nil)
        let q = query
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<T>, any Error>.makeStream()
        let task = Task {
            do {
                let response = try await self.open("GET", path, query: q, body: nil, timeoutCoversBody: false)
                let code = Int(response.head.status.code)
                guard code == 200 else {
                    throw KubeClientError.api(Self.status(code: code, body: try await Self.collect(response.body)))
                }
                var lines = LineSplitter()
                for try await chunk in response.body {
                    try lines.append(chunk) { line in
                        let event: WatchEvent<T>
                        do { event = try KubeJSON.decode(WatchEvent<T>.self, from: Data(line)) } catch {
                            throw KubeClientError.decoding("watch event of \(T.resource.kind): \(error)")
                        }
                        if event.type == .error { throw KubeClientError.api(event.status ?? Status()) }
                        continuation.yield(event)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Cuts a byte stream into newline-terminated lines, keeping only the unfinished tail.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ chunk: ByteBuffer, _ line: ([UInt8]) throws -> Void) throws {
        var bytes = chunk.readableBytesView[...]
        while let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: bytes[..<newline])
            bytes = bytes[bytes.index(after: newline)...]
            let complete = pending
            pending.removeAll(keepingCapacity: true)
            if complete.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) { try line(complete) }
        }
        pending.append(contentsOf: bytes)
    }
}
