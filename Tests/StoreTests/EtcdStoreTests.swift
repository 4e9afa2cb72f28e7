import Foundation
import Store
import Testing
import TestSupport

@Suite(.serialized) struct EtcdStoreTests {
    @Test func createGetUpdateDeleteAndErrors() async throws {
        try await withEtcd { etcd in
            let store = try await EtcdStore(endpoints: etcd.clientURLs)
            defer { store.close() }
            let key = "/registry/pods/default/a"
            let r1 = try await store.create(key: key, value: bytes("v1"))
            #expect(try store.get(key: key) == StoredObject(key: key, value: bytes("v1"), modRevision: r1, createRevision: r1))
            await #expect(throws: StoreError.alreadyExists(key: key)) { try await store.create(key: key, value: bytes("x")) }
            let r2 = try await store.update(key: key, value: bytes("v2"), expectedRevision: r1)
            #expect(r2 > r1)
            await #expect(throws: StoreError.conflict(key: key, expected: r1, current: r2)) {
                try await store.update(key: key, value: bytes("v3"), expectedRevision: r1)
            }
            await #expect(throws: StoreError.notFound(key: "/registry/pods/default/b")) {
                try await store.update(key: "/registry/pods/default/b", value: [], expectedRevision: nil)
            }
            await #expect(throws: StoreError.invalidKey("no-slash")) { try await store.create(key: "no-slash", value: []) }
            let (r3, old) = try await store.delete(key: key, expectedRevision: r2)
            #expect(old == bytes("v2"))
            #expect(r3 > r2)
            #expect(try store.get(key: key) == nil)
            await #expect(throws: StoreError.notFound(key: key)) { try await store.delete(key: key, expectedRevision: nil) }
            #expect(store.currentRevision == r3)
        }
    }

    @Test func listIsSortedByPrefixAndPaginated() async throws {
        try await withEtcd { etcd in
            let store = try await EtcdStore(endpoints: etcd.clientURLs)
            defer { store.close() }
            for name in ["c", "a", "b"] { _ = try await store.create(key: "/registry/pods/ns1/\(name)", value: bytes(name)) }
            _ = try await store.create(key: "/registry/pods/ns2/z", value: bytes("z"))
            _ = try await store.create(key: "/registry/services/ns1/s", value: bytes("s"))
            let all = try store.list(prefix: "/registry/pods/")
            #expect(all.items.map(\.key) == ["/registry/pods/ns1/a", "/registry/pods/ns1/b", "/registry/pods/ns1/c", "/registry/pods/ns2/z"])
            let first = try store.list(prefix: "/registry/pods/ns1/", limit: 2)
            #expect(first.items.map { String(decoding: $0.value, as: UTF8.self) } == ["a", "b"])
            let rest = try store.list(prefix: "/registry/pods/ns1/", limit: 2, continueAfter: first.continueAfter)
            #expect(rest.items.map { String(decoding: $0.value, as: UTF8.self) } == ["c"])
            #expect(rest.continueAfter == nil)
            // A second store on the same etcd loads what is there.
            let other = try await EtcdStore(endpoints: etcd.clientURLs)
            defer { other.close() }
            #expect(try other.list(prefix: "/registry/").items.count == 5)
        }
    }

    @Test func watchesLiveFromHistoryAndExpireAfterCompaction() async throws {
        try await withEtcd { etcd in
            let store = try await EtcdStore(endpoints: etcd.clientURLs)
            let key = "/registry/pods/ns/a"
            let r1 = try await store.create(key: key, value: bytes("1"))
            let live = try store.watch(prefix: "/registry/pods/", fromRevision: r1)
            _ = try await store.create(key: "/registry/services/ns/x", value: bytes("other prefix"))
            let r2 = try await store.update(key: key, value: bytes("2"), expectedRevision: r1)
            let (r3, _) = try await store.delete(key: key, expectedRevision: r2)
            let events = try await collect(live, count: 2)
            #expect(events.map(\.kind) == [.modified, .deleted])
            #expect(events.map(\.modRevision) == [r2, r3])
            #expect(events[0].previousValue == bytes("1"))
            #expect(events[1].value == bytes("2"))
            store.close()

            // A new store (an API server restart) serves a watch from before its start from etcd's history.
            let again = try await EtcdStore(endpoints: etcd.clientURLs)
            defer { again.close() }
            let replay = try again.watch(prefix: "/registry/pods/", fromRevision: 0)
            let replayed = try await collect(replay, count: 3)
            #expect(replayed.map(\.kind) == [.added, .modified, .deleted])
            #expect(replayed.map(\.modRevision) == [r1, r2, r3])
            // Compaction: a watch from before it is expired.
            let r4 = try await again.create(key: "/registry/pods/ns/b", value: bytes("b"))
            let compacted = try await again.compact(before: r4)
            #expect(compacted == r4 - 1)
            #expect(throws: StoreError.self) { try again.watch(prefix: "/registry/", fromRevision: r1) }
        }
    }

    @Test func threeMembersKeepServingWithOneKilled() async throws {
        try await withEtcd(members: 3) { etcd in
            let store = try await EtcdStore(endpoints: etcd.clientURLs)
            defer { store.close() }
            let start = store.currentRevision
            let watch = try store.watch(prefix: "/registry/pods/", fromRevision: start)
            for i in 0..<10 { _ = try await store.create(key: "/registry/pods/ns/p\(i)", value: bytes("\(i)")) }
            etcd.kill(0)  // the member the store talks to first
            for i in 10..<20 { _ = try await store.create(key: "/registry/pods/ns/p\(i)", value: bytes("\(i)")) }
            let events = try await collect(watch, count: 20, timeout: .seconds(60))
            #expect(events.map { String(decoding: $0.value, as: UTF8.self) } == (0..<20).map(String.init), "every event once, in order")
            #expect(try store.list(prefix: "/registry/pods/").items.count == 20)
        }
    }
}
