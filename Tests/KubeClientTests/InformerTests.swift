import Foundation
import KubeAPI
@testable import KubeClient
import Store
import Testing

/// What a handler saw, as `added a`, `updated a`, `deleted a`.
final class EventLog<T: KubeObject>: Sendable {
    private let events = Locked<[String]>([])
    var all: [String] { events.current }

    func record(_ event: InformerEvent<T>) {
        let text: String
        switch event {
        case .added(let o): text = "added \(o.name)"
        case .updated(_, let new): text = "updated \(new.name)"
        case .deleted(let o): text = "deleted \(o.name)"
        }
        events.withLock { $0.append(text) }
    }

    func contains(_ text: String) -> Bool { all.contains(text) }
    func count(_ text: String) -> Int { all.filter { $0 == text }.count }
}

private func pod(_ name: String, node: String) -> Pod {
    var pod = Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "web"]))
    var spec = PodSpec()
    var container = Container()
    container.name = "c"
    container.image = "busybox"
    spec.containers = [container]
    spec.nodeName = node
    pod.spec = spec
    return pod
}

/// The names the server has, to compare an informer's cache against.
private func serverNames(_ client: KubeClient) async throws -> [String] {
    try await client.list(ConfigMap.self, namespace: "default").items.map(\.name).sorted()
}

@Suite(.serialized) struct InformerTests {
    @Test func informerListsWatchesIndexesAndNotifiesInOrder() async throws {
        try await withServer { _, client in
            _ = try await client.create(pod("p1", node: "n1"))
            _ = try await client.create(pod("p2", node: "n2"))
            let factory = SharedInformerFactory(client: client)
            defer { factory.shutdown() }
            let pods = factory.informer(Pod.self, namespace: "default")
            pods.cache.addIndexer("node", Indexers.byField("spec.nodeName"))
            let log = EventLog<Pod>()
            pods.addHandler { log.record($0) }
            #expect(!pods.hasSynced)
            factory.start()
            try await factory.waitForSync()
            #expect(pods.hasSynced)
            #expect(pods.cache.keys == ["default/p1", "default/p2"])
            #expect(pods.cache.get(namespace: "default", name: "p1")?.spec?.nodeName == "n1")
            #expect(try pods.cache.byIndex("node", "n2").map(\.name) == ["p2"])
            #expect(pods.cache.list(namespace: "default").count == 2)

            var p3 = try await client.create(pod("p3", node: "n1"))
            p3.metadata.labels = ["app": "web", "v": "2"]
            _ = try await client.update(p3)
            try await client.delete(Pod.self, name: "p1", gracePeriodSeconds: 0)
            #expect(await poll { log.contains("deleted p1") })
            #expect(try pods.cache.byIndex("node", "n1").map(\.name) == ["p3"])
            #expect(pods.cache.indexValues("node") == ["n1", "n2"])
            // One handler, one queue: its events are in the order the cache changed.
            let tail = log.all.filter { $0.hasSuffix("p3") || $0 == "deleted p1" }
            #expect(tail == ["added p3", "updated p3", "deleted p1"])
            #expect(Set(log.all.prefix(2)) == ["added p1", "added p2"])

            // A late handler is first told about every cached object.
            let late = EventLog<Pod>()
            let subscription = pods.addEventHandler(onAdd: { late.record(.added($0)) })
            #expect(await poll { late.all.count == 2 })
            subscription.cancel()
        }
    }

    @Test func factorySharesOneWatchPerResource() async throws {
        try await withServer { _, client in
            let factory = SharedInformerFactory(client: client)
            defer { factory.shutdown() }
            let a = factory.informer(ConfigMap.self, namespace: "default")
            let b = factory.informer(ConfigMap.self, namespace: "default")
            #expect(a === b)
            #expect(factory.informer(ConfigMap.self, namespace: "default", labelSelector: "x=y") !== a)
            let logA = EventLog<ConfigMap>(), logB = EventLog<ConfigMap>()
            a.addHandler { logA.record($0) }
            b.addHandler { logB.record($0) }
            factory.start()
            try await factory.waitForSync()
            _ = try await client.create(configMap("shared"))
            #expect(await poll { logA.contains("added shared") && logB.contains("added shared") })
            // Two informers (the selector differs) → two watches, not three.
            #expect(await poll { client.statistics.watches == 2 })
            // An informer asked for after start() starts at once and shares the client.
            let late = factory.informer(Namespace.self)
            try await late.waitForSync()
            #expect(late.cache.get(name: "default") != nil)
            #expect(await poll { client.statistics.watches == 3 })
        }
    }

    @Test func informerConvergesAfterCompactionForcesARelist() async throws {
        try await withServer { fixture, client in
            for name in ["a", "b", "c"] { _ = try await client.create(configMap(name)) }
            let informer = SharedInformer<ConfigMap>(client: client, namespace: "default",
                                                     backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1)))
            defer { informer.stop() }
            let log = EventLog<ConfigMap>()
            informer.addHandler { log.record($0) }
            informer.start()
            try await informer.waitForSync()
            #expect(informer.cache.keys == ["default/a", "default/b", "default/c"])
            let listsBefore = client.statistics.lists

            // While the server is down: delete a, change b, add d, then drop the event history,
            // so the informer's next watch (from its old version) gets 410 Gone.
            try await fixture.restart { pipeline, store in
                #expect(await pipeline.send("DELETE", "/api/v1/namespaces/default/configmaps/a") == 200)
                #expect(await pipeline.send("PATCH", "/api/v1/namespaces/default/configmaps/b", #"{"data":{"k":"new"}}"#,
                                            contentType: "application/merge-patch+json") == 200)
                #expect(await pipeline.send("POST", "/api/v1/namespaces/default/configmaps",
                                            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}}"#) == 201)
                _ = try await store.compact(before: store.currentRevision)
            }
            #expect(await poll { log.contains("added d") && log.contains("deleted a") && log.contains("updated b") })
            #expect(informer.cache.keys == ["default/b", "default/c", "default/d"])
            #expect(informer.cache.get(namespace: "default", name: "b")?.data?["k"] == "new")
            // The 410 made the informer list again; unchanged objects are not reported again.
            #expect(client.statistics.lists == listsBefore + 1)
            #expect((informer.lastError as? KubeClientError)?.isGone == true)
            #expect(log.count("added c") == 1)
            #expect(!log.contains("updated c"))

            // And the new watch is live.
            _ = try await client.create(configMap("e"))
            #expect(await poll { informer.cache.get(namespace: "default", name: "e") != nil })
            #expect(informer.cache.keys.map { String($0.dropFirst(8)) } == (try await serverNames(client)))
        }
    }

    @Test func informerResumesAfterServerRestart() async throws {
        try await withServer { fixture, client in
            _ = try await client.create(configMap("a"))
            let informer = SharedInformer<ConfigMap>(client: client, namespace: "default",
                                                     backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1)))
            defer { informer.stop() }
            let log = EventLog<ConfigMap>()
            informer.addHandler { log.record($0) }
            informer.start()
            try await informer.waitForSync()
            let listsBefore = client.statistics.lists
            try await fixture.restart { pipeline, _ in
                #expect(await pipeline.send("POST", "/api/v1/namespaces/default/configmaps",
                                            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"while-down"}}"#) == 201)
            }
            _ = try await client.create(configMap("after"))
            #expect(await poll { log.contains("added while-down") && log.contains("added after") })
            #expect(informer.cache.keys == ["default/a", "default/after", "default/while-down"])
            // Resumed from its version (no relist): nothing was reported twice.
            #expect(log.all.count == Set(log.all).count)
            #expect(client.statistics.lists == listsBefore)
        }
    }
}
