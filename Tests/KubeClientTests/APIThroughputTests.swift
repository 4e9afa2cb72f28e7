import APIServer
import Dispatch
import Foundation
import KubeAPI
import KubeClient
import Store
import Testing
import TestSupport

/// Measurement, printed and not asserted (issue 3's bench line), through the whole HTTP path:
/// 100 watchers on the pods of a namespace while writers create 10,000 pods through the REST
/// API; sustained writes/s, whether every watcher got every event, p99 delay from a write's
/// submission to each watcher receiving it; then a LIST of the 10,000 pods. SQLite and etcd.
/// Runs only with TRELLIS_BENCH=1 (scripts/bench.sh sets it).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1", "benchmark: set TRELLIS_BENCH=1"))
struct APIThroughputTests {
    @Test(arguments: ["sqlite", "etcd"])
    func hundredWatchersTenThousandPods(backend: String) async throws {
        let dir = try ScratchDirectory()
        let store: any ObjectStore
        var etcd: EtcdCluster?
        if backend == "etcd" {
            etcd = try EtcdCluster(members: 1)
            store = try await EtcdStore(endpoints: etcd!.clientURLs)
        } else {
            store = try SQLiteStore(path: dir.path + "/s.sqlite")
        }
        defer {
            (store as? SQLiteStore)?.close()
            (store as? EtcdStore)?.close()
            etcd?.stop()
        }
        let server = APIServer(store: store, configuration: .init(host: "127.0.0.1", port: 0, access: .insecureAdmitAll))
        let port = try await server.start()
        var config = ClientConfig(server: "http://127.0.0.1:\(port)")
        config.maxIdleConnections = 64
        let client = try KubeClient(config: config)
        let total = 10_000, writers = 16, watchers = 100
        let start = String(store.currentRevision)
        let (elapsed, perWatcher, delays) = try await withThrowingTaskGroup(of: (Int, [UInt64]).self) { group in
            for _ in 0..<watchers {
                let stream = client.watch(Pod.self, namespace: "default", resourceVersion: start)
                group.addTask {
                    var seen = 0
                    var delays: [UInt64] = []
                    for try await event in stream where event.type == .added {
                        if let sent = event.object?.metadata.annotations?["sent"].flatMap(UInt64.init) {
                            delays.append(DispatchTime.now().uptimeNanoseconds &- sent)
                        }
                        seen += 1
                        if seen == total { break }
                    }
                    return (seen, delays)
                }
            }
            try await Task.sleep(for: .milliseconds(500))  // the watches are open
            let began = DispatchTime.now().uptimeNanoseconds
            try await withThrowingTaskGroup(of: Void.self) { inner in
                for w in 0..<writers {
                    inner.addTask {
                        for i in stride(from: w, to: total, by: writers) {
                            var pod = Pod(metadata: ObjectMeta(name: "p\(i)", namespace: "default",
                                                               annotations: ["sent": String(DispatchTime.now().uptimeNanoseconds)]))
                            var spec = PodSpec(); var c = Container(); c.name = "c"; c.image = "x"; spec.containers = [c]
                            pod.spec = spec
                            _ = try await client.create(pod)
                        }
                    }
                }
                try await inner.waitForAll()
            }
            let wrote = DispatchTime.now().uptimeNanoseconds - began
            var counts: [Int] = []
            var all: [UInt64] = []
            for try await (seen, d) in group {
                counts.append(seen)
                all += d
            }
            return (wrote, counts, all)
        }
        let sorted = delays.sorted()
        let p99 = sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) / 1e6
        let p50 = sorted.isEmpty ? 0 : Double(sorted[sorted.count / 2]) / 1e6
        let listStart = DispatchTime.now().uptimeNanoseconds
        let listed = try await client.list(Pod.self, namespace: "default").items.count
        let listMs = Double(DispatchTime.now().uptimeNanoseconds - listStart) / 1e6
        print(String(format: "BENCH api-%@: %d creates by %d writers in %.2f s = %.0f writes/s; %d watchers, every event to every watcher: %@; delivery p50 %.1f ms p99 %.1f ms; LIST %d pods %.0f ms",
                     backend, total, writers, Double(elapsed) / 1e9, Double(total) / (Double(elapsed) / 1e9), watchers,
                     perWatcher.allSatisfy { $0 == total } ? "yes" : "NO (\(perWatcher.min() ?? 0) min)", p50, p99, listed, listMs))
        #expect(perWatcher.count == watchers)
        await client.shutdown()
        await server.shutdown()
    }
}
