@testable import APIServer
import KubeAPI
import Store
import Testing

@Suite struct WatchStreamTests {
    static func event(_ i: Int) -> Store.WatchEvent {
        Store.WatchEvent(kind: .added, key: "/registry/configmaps/default/c\(i)",
                         value: Array(#"{"metadata":{"name":"c\#(i)","namespace":"default"}}"#.utf8),
                         previousValue: nil, modRevision: Revision(i))
    }

    @Test func slowWatcherIsEnded() async throws {
        let total = ResourceHandler.watchBufferLimit + 500
        let (events, source) = AsyncThrowingStream<Store.WatchEvent, Error>.makeStream()
        for i in 1...total { source.yield(Self.event(i)) }  // never finished: the watch would follow forever
        let stream = ResourceHandler.eventStream(events, initial: [], from: 0, filter: ObjectFilter(),
                                                 resource: ConfigMap.resource, timeout: nil, bookmarkInterval: nil)
        try await Task.sleep(for: .milliseconds(300))  // the watcher reads nothing meanwhile
        var received = 0
        for try await _ in stream { received += 1 }
        // Cut off behind the limit: it got at least the buffer's worth but not everything (how
        // much more than the limit depends on scheduling, so only the bounds are checked).
        #expect(received >= ResourceHandler.watchBufferLimit && received < total, "received \(received) of \(total)")
        source.finish()
    }

    @Test func keepingUpWatcherGetsEverything() async throws {
        let (events, source) = AsyncThrowingStream<Store.WatchEvent, Error>.makeStream()
        let stream = ResourceHandler.eventStream(events, initial: [], from: 0, filter: ObjectFilter(),
                                                 resource: ConfigMap.resource, timeout: nil, bookmarkInterval: nil)
        let total = ResourceHandler.watchBufferLimit * 3
        var received = 0
        for i in 1...total {
            source.yield(Self.event(i))
            if i % 100 == 0 { for try await _ in stream { received += 1; if received == i { break } } }
        }
        source.finish()
        for try await _ in stream { received += 1 }
        #expect(received == total)
    }
}
