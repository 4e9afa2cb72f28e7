import Store
import Testing

@Suite struct WatchTests {
    /// Revisions 1…6: a created, b created, a modified, b deleted, c created (other prefix),
    /// a modified.
    static func history(_ store: SQLiteStore) async throws {
        try await store.create(key: "/registry/pods/ns/a", value: bytes("a1"))
        try await store.create(key: "/registry/pods/ns/b", value: bytes("b1"))
        try await store.update(key: "/registry/pods/ns/a", value: bytes("a2"), expectedRevision: 1)
        try await store.delete(key: "/registry/pods/ns/b", expectedRevision: nil)
        try await store.create(key: "/registry/services/ns/c", value: bytes("c1"))
        try await store.update(key: "/registry/pods/ns/a", value: bytes("a3"), expectedRevision: 3)
    }

    @Test func fromZeroReplaysEverythingWithValuesAndPreviousValues() async throws {
        try await withStore { store, _ in
            try await Self.history(store)
            let events = try await collect(try store.watch(prefix: "/registry/", fromRevision: 0), count: 6)
            #expect(events.map(\.description) == [
                "1 ADDED /registry/pods/ns/a", "2 ADDED /registry/pods/ns/b", "3 MODIFIED /registry/pods/ns/a",
                "4 DELETED /registry/pods/ns/b", "5 ADDED /registry/services/ns/c", "6 MODIFIED /registry/pods/ns/a",
            ])
            #expect(events.map { String(decoding: $0.value, as: UTF8.self) } == ["a1", "b1", "a2", "b1", "c1", "a3"])
            #expect(events.map { $0.previousValue.map { String(decoding: $0, as: UTF8.self) } } == [nil, nil, "a1", "b1", nil, "a2"])
        }
    }

    @Test func fromAMiddleRevisionWithAPrefixThenLive() async throws {
        try await withStore { store, _ in
            try await Self.history(store)
            let stream = try store.watch(prefix: "/registry/pods/", fromRevision: 3)
            let past = try await collect(stream, count: 2)
            #expect(past.map(\.description) == ["4 DELETED /registry/pods/ns/b", "6 MODIFIED /registry/pods/ns/a"])
            try await store.create(key: "/registry/services/ns/d", value: [])
            try await store.create(key: "/registry/pods/ns/e", value: bytes("e1"))
            // Revision 7 is outside the prefix: the next event is 8. (Cancelling a collect
            // would end the stream, so "nothing more yet" is shown by this order instead.)
            let live = try await collect(stream, count: 1)
            #expect(live.map(\.description) == ["8 ADDED /registry/pods/ns/e"])
        }
    }

    @Test func liveFromTheCurrentRevision() async throws {
        try await withStore { store, _ in
            try await Self.history(store)
            let stream = try store.watch(prefix: "/registry/pods/ns/a", fromRevision: store.currentRevision)
            async let got = collect(stream, count: 2)
            try await store.update(key: "/registry/pods/ns/a", value: bytes("a4"), expectedRevision: nil)
            try await store.delete(key: "/registry/pods/ns/a", expectedRevision: 7)
            #expect(try await got.map(\.description) == ["7 MODIFIED /registry/pods/ns/a", "8 DELETED /registry/pods/ns/a"])
        }
    }

    /// 8 concurrent writers, 4 live watchers and one started late (catching up from the
    /// log, past a ring smaller than the history): each sees every revision once, in order.
    @Test func eightConcurrentWritersEveryWatcherSeesEveryEventOnceInOrder() async throws {
        var options = SQLiteStore.Options()
        options.ringCapacity = 64
        try await withStore(options: options) { store, _ in
            let writers = 8, perWriter = 150, total = writers * perWriter
            let live = try (0..<4).map { _ in try store.watch(prefix: "/registry/", fromRevision: 0) }
            try await withThrowingTaskGroup(of: [WatchEvent].self) { group in
                for s in live { group.addTask { try await collect(s, count: total, timeout: .seconds(60)) } }
                for w in 0..<writers {
                    group.addTask {
                        for i in 0..<perWriter {
                            let key = "/registry/w/\(w)-\(i % 10)"
                            if i < 10 { try await store.create(key: key, value: bytes("\(i)")) }
                            else if i >= perWriter - 10 { try await store.delete(key: key, expectedRevision: nil) }
                            else { try await store.update(key: key, value: bytes("\(i)"), expectedRevision: nil) }
                        }
                        return []
                    }
                }
                var seen = 0
                for try await events in group where !events.isEmpty {
                    #expect(events.map(\.modRevision) == Array(1...Revision(total)))
                    seen += 1
                }
                #expect(seen == live.count)
            }
            let late = try await collect(try store.watch(prefix: "/registry/", fromRevision: 0), count: total)
            #expect(late.map(\.modRevision) == Array(1...Revision(total)))
            #expect(try store.list(prefix: "/registry/").items.isEmpty)
            let stats = store.commitStatistics
            #expect(stats.writes == total)
            print("8 writers, \(total) writes in \(stats.transactions) transactions")
        }
    }

    @Test func compactExpiresOlderWatchesButKeepsObjects() async throws {
        try await withStore { store, _ in
            try await Self.history(store)
            #expect(try await store.compact(before: 5) == 4)
            #expect(store.compactedRevision == 4)
            #expect(throws: StoreError.expired(requested: 3, compacted: 4)) {
                _ = try store.watch(prefix: "/registry/", fromRevision: 3)
            }
            let rest = try await collect(try store.watch(prefix: "/registry/", fromRevision: 4), count: 2)
            #expect(rest.map(\.modRevision) == [5, 6])
            #expect(try store.get(key: "/registry/pods/ns/a")?.createRevision == 1)
            // Compacting to an older revision changes nothing; past the head stops at the head.
            #expect(try await store.compact(before: 2) == 4)
            #expect(try await store.compact(before: 100) == 6)
            #expect(try store.list(prefix: "/registry/").items.count == 2)
        }
    }

    /// A watcher behind the ring, reading the log, is told `.expired` when compaction
    /// overtakes it, never handed a history with a hole.
    @Test func compactionOvertakingACatchingUpWatcherExpiresIt() async throws {
        var options = SQLiteStore.Options()
        options.ringCapacity = 4
        try await withStore(options: options) { store, _ in
            for i in 0..<1200 { try await store.create(key: "/registry/c/\(i)", value: []) }
            let stream = try store.watch(prefix: "/registry/", fromRevision: 0)
            var iterator = stream.makeAsyncIterator()
            #expect(try await iterator.next()?.modRevision == 1)   // one 512-event page read
            try await store.compact(before: 1000)
            var last: Revision = 1
            do {
                while let e = try await iterator.next() {
                    #expect(e.modRevision == last + 1)
                    last = e.modRevision
                }
                Issue.record("stream ended without an error")
            } catch let error as StoreError {
                #expect(error == .expired(requested: 512, compacted: 999))
                #expect(last == 512)
            }
        }
    }

    @Test func closingTheStoreEndsWatchesWithClosed() async throws {
        let dir = try TestSupport.ScratchDirectory()
        let store = try SQLiteStore(path: dir.path + "/store.db")
        let stream = try store.watch(prefix: "/", fromRevision: 0)
        async let outcome: StoreError? = {
            do { for try await _ in stream {}; return nil } catch { return error as? StoreError }
        }()
        try await Task.sleep(for: .milliseconds(50))
        store.close()
        #expect(await outcome == .closed)
        await #expect(throws: StoreError.closed) { try await store.create(key: "/a", value: []) }
    }
}

import TestSupport
