import Store
import Testing

@Suite struct SQLiteStoreTests {
    @Test func createGetUpdateDelete() async throws {
        try await withStore { store, _ in
            let key = RegistryKey.object(resource: "pods", namespace: "default", name: "a")
            #expect(key == "/registry/pods/default/a")
            #expect(store.currentRevision == 0)
            let r1 = try await store.create(key: key, value: bytes("v1"))
            #expect(r1 == 1)
            #expect(try store.get(key: key) == StoredObject(key: key, value: bytes("v1"), modRevision: 1, createRevision: 1))
            let r2 = try await store.update(key: key, value: bytes("v2"), expectedRevision: r1)
            #expect(r2 == 2)
            #expect(try store.get(key: key) == StoredObject(key: key, value: bytes("v2"), modRevision: 2, createRevision: 1))
            let r3 = try await store.update(key: key, value: bytes("v3"), expectedRevision: nil)  // unconditional
            let (r4, old) = try await store.delete(key: key, expectedRevision: r3)
            #expect((r3, r4, old) == (3, 4, bytes("v3")))
            #expect(try store.get(key: key) == nil)
            #expect(store.currentRevision == 4)
            // An empty value is a value, not NULL.
            let r5 = try await store.create(key: key, value: [])
            #expect(try store.get(key: key)?.value == [])
            #expect(try store.get(key: key)?.createRevision == r5)
        }
    }

    /// (setup, operation, expected error). Setup: "/registry/x/a" created at revision 1,
    /// updated at 2.
    static let failures: [(String, StoreError)] = [
        ("create existing", .alreadyExists(key: "/registry/x/a")),
        ("update missing", .notFound(key: "/registry/x/b")),
        ("update stale", .conflict(key: "/registry/x/a", expected: 1, current: 2)),
        ("update future", .conflict(key: "/registry/x/a", expected: 9, current: 2)),
        ("delete missing", .notFound(key: "/registry/x/b")),
        ("delete stale", .conflict(key: "/registry/x/a", expected: 1, current: 2)),
        ("bad key", .invalidKey("registry/no-slash")),
        ("space in key", .invalidKey("/registry/x/a b")),
    ]

    @Test(arguments: failures)
    func failedWritesChangeNothing(_ operation: String, _ expected: StoreError) async throws {
        try await withStore { store, _ in
            try await store.create(key: "/registry/x/a", value: bytes("1"))
            try await store.update(key: "/registry/x/a", value: bytes("2"), expectedRevision: 1)
            let error = await #expect(throws: StoreError.self) {
                switch operation {
                case "create existing": _ = try await store.create(key: "/registry/x/a", value: bytes("3"))
                case "update missing": _ = try await store.update(key: "/registry/x/b", value: bytes("3"), expectedRevision: nil)
                case "update stale": _ = try await store.update(key: "/registry/x/a", value: bytes("3"), expectedRevision: 1)
                case "update future": _ = try await store.update(key: "/registry/x/a", value: bytes("3"), expectedRevision: 9)
                case "delete missing": _ = try await store.delete(key: "/registry/x/b", expectedRevision: nil)
                case "delete stale": _ = try await store.delete(key: "/registry/x/a", expectedRevision: 1)
                case "bad key": _ = try await store.create(key: "registry/no-slash", value: [])
                default: _ = try await store.create(key: "/registry/x/a b", value: [])
                }
            }
            #expect(error == expected)
            #expect(store.currentRevision == 2)
            #expect(try store.get(key: "/registry/x/a") == StoredObject(key: "/registry/x/a", value: bytes("2"), modRevision: 2, createRevision: 1))
            #expect(try store.list(prefix: "/registry/").items.count == 1)
            // The next write gets the next revision: failures consume none.
            #expect(try await store.create(key: "/registry/x/c", value: []) == 3)
        }
    }

    @Test func errorDescriptionsKeepTheirFacts() {
        #expect(StoreError.conflict(key: "/registry/pods/ns/a", expected: 3, current: 5).description
                == "/registry/pods/ns/a: conflict: expected revision 3, object is at revision 5")
        #expect(StoreError.expired(requested: 2, compacted: 10).description
                == "watch from revision 2: too old, history compacted through revision 10")
        #expect(StoreError.sqlite(code: 5, message: "database is locked", operation: "COMMIT").description
                == "sqlite COMMIT: database is locked (database is locked, code 5)")
    }

    @Test func listIsSortedFilteredByPrefixAndPaginated() async throws {
        try await withStore { store, _ in
            let names = ["c", "a", "e", "b", "d"]
            for n in names { try await store.create(key: "/registry/pods/ns1/\(n)", value: bytes(n)) }
            try await store.create(key: "/registry/pods/ns10/z", value: [])      // not under "ns1/"
            try await store.create(key: "/registry/pods/ns0/z", value: [])
            try await store.create(key: "/registry/services/ns1/a", value: [])
            try await store.create(key: "/registry/nodes/n1", value: [])         // cluster-scoped

            let all = try store.list(prefix: RegistryKey.prefix(resource: "pods", namespace: "ns1"), limit: nil, continueAfter: nil)
            #expect(all.items.map(\.key) == names.sorted().map { "/registry/pods/ns1/\($0)" })
            #expect(all.revision == 9)
            #expect(all.continueAfter == nil)
            #expect(try store.list(prefix: "/registry/pods/").items.count == 7)
            #expect(try store.list(prefix: "").items.count == 9)
            #expect(try store.list(prefix: RegistryKey.prefix(resource: "nodes")).items.map(\.key) == ["/registry/nodes/n1"])

            var pages: [[String]] = []
            var token: String?
            repeat {
                let page = try store.list(prefix: "/registry/pods/ns1/", limit: 2, continueAfter: token)
                pages.append(page.items.map { String($0.key.split(separator: "/").last!) })
                token = page.continueAfter
            } while token != nil
            #expect(pages == [["a", "b"], ["c", "d"], ["e"]])
            // Exactly a page's worth: no continue token on the last full page.
            #expect(try store.list(prefix: "/registry/pods/ns1/", limit: 5, continueAfter: nil).continueAfter == nil)
        }
    }

    @Test func listIsOneSnapshotUnderConcurrentWrites() async throws {
        try await withStore { store, _ in
            // Writers keep every object at the same generation number per revision pair:
            // a snapshot must show a revision consistent with the objects' modRevisions.
            for i in 0..<50 { try await store.create(key: "/registry/s/\(i)", value: bytes("0")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 1...20 {
                        for i in 0..<50 { _ = try await store.update(key: "/registry/s/\(i)", value: bytes("\(round)"), expectedRevision: nil) }
                    }
                }
                group.addTask {
                    for _ in 0..<200 {
                        let l = try store.list(prefix: "/registry/s/", limit: nil, continueAfter: nil)
                        #expect(l.items.count == 50)
                        let newest = l.items.map(\.modRevision).max()!
                        #expect(newest == l.revision, "snapshot revision \(l.revision), newest object \(newest)")
                        await Task.yield()
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
