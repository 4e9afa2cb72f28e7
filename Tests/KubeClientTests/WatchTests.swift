import Foundation
import KubeAPI
import KubeClient
import Testing

@Suite(.serialized) struct WatchTests {
    @Test func watchDeliversAddedModifiedDeletedInOrder() async throws {
        try await withServer { _, client in
            let start = try await client.list(ConfigMap.self, namespace: "default")
            let events = client.watch(ConfigMap.self, namespace: "default", labelSelector: "app=w",
                                      resourceVersion: start.metadata.resourceVersion)
            let collector = Task {
                var seen: [(WatchEventType, String, String?)] = []
                for try await event in events where event.type != .bookmark {
                    seen.append((event.type, event.object?.name ?? "", event.object?.data?["k"]))
                    if seen.count == 4 { break }
                }
                return seen
            }
            var cm = try await client.create(configMap("w1", labels: ["app": "w"]))
            _ = try await client.create(configMap("ignored", labels: ["app": "other"]))
            cm.data = ["k": "changed"]
            _ = try await client.update(cm)
            try await client.delete(ConfigMap.self, name: "w1")
            _ = try await client.create(configMap("w2", labels: ["app": "w"]))
            let seen = try await collector.value
            #expect(seen.map(\.0) == [.added, .modified, .deleted, .added])
            #expect(seen.map(\.1) == ["w1", "w1", "w1", "w2"])
            #expect(seen[1].2 == "changed")
        }
    }

    @Test func watchFromZeroListsFirstAndBookmarksAdvance() async throws {
        try await withServer { _, client in
            _ = try await client.create(configMap("a"))
            var added: [String] = []
            var bookmark: String?
            for try await event in client.watch(ConfigMap.self, namespace: "default", resourceVersion: "0") {
                if event.type == .added { added.append(event.object?.name ?? "") }
                if event.type == .bookmark { bookmark = event.object?.metadata.resourceVersion; break }
            }
            #expect(added == ["a"])
            #expect(bookmark != nil)
        }
    }

    @Test func staleVersionIsGone() async throws {
        try await withServer { fixture, client in
            let first = try await client.create(configMap("a"))
            _ = try await client.create(configMap("b"))
            _ = try await client.create(configMap("c"))
            // History before the latest revision goes: `first`'s version is now too old.
            let compacted = try await fixture.store.compact(before: fixture.store.currentRevision)
            #expect(compacted > Int64(first.metadata.resourceVersion ?? "0")!)
            await #expect {
                for try await _ in client.watch(ConfigMap.self, resourceVersion: first.metadata.resourceVersion) {}
            } throws: { ($0 as? KubeClientError)?.isGone == true }
        }
    }

    @Test func manyWatchesShareAFewConnections() async throws {
        // Watches that end return their connection or close it; many in a row must not leak.
        try await withServer { _, client in
            for _ in 0..<20 {
                for try await event in client.watch(Namespace.self, resourceVersion: "0") where event.type == .added { break }
            }
            #expect(try await client.get(Namespace.self, name: "default").name == "default")
            #expect(client.statistics.watches == 20)
        }
    }
}
