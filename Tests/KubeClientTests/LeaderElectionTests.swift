import Foundation
import KubeAPI
@testable import KubeClient
import Testing

/// Short periods so the tests run quickly; correctness never depends on them.
private func electionConfig(_ identity: String, release: Bool = true) -> LeaderElectionConfig {
    var config = LeaderElectionConfig(leaseName: "controller", namespace: "default", identity: identity)
    config.leaseDuration = .seconds(2)
    config.renewDeadline = .milliseconds(1500)
    config.retryPeriod = .milliseconds(200)
    config.releaseOnCancel = release
    return config
}

/// Who led, in order, and whether two ever led at once.
private final class Leadership: Sendable {
    private struct State {
        var current = Set<String>()
        var history: [String] = []
        var overlap = false
    }
    private let state = Locked(State())
    func started(_ id: String) {
        state.withLock { s in
            if !s.current.isEmpty { s.overlap = true }
            s.current.insert(id)
            s.history.append("+" + id)
        }
    }
    func stopped(_ id: String) { state.withLock { s in s.current.remove(id); s.history.append("-" + id) } }
    var leaders: Set<String> { state.withLock { $0.current } }
    var history: [String] { state.withLock { $0.history } }
    var overlapped: Bool { state.withLock { $0.overlap } }
}

@Suite(.serialized) struct LeaderElectionTests {
    private func campaign(_ elector: LeaderElector, _ record: Leadership) -> Task<Void, Never> {
        let id = elector.config.identity
        return Task {
            await elector.run(onStartedLeading: {
                record.started(id)
                // Lead until cancelled.
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
            }, onStoppedLeading: { record.stopped(id) })
        }
    }

    @Test func exactlyOneLeadsAndTheOtherTakesOverOnRelease() async throws {
        try await withServer { _, client in
            let record = Leadership()
            let a = try LeaderElector(client: client, config: electionConfig("a"))
            let b = try LeaderElector(client: client, config: electionConfig("b"))
            let tasks = ["a": campaign(a, record), "b": campaign(b, record)]
            #expect(await poll { record.leaders.count == 1 })
            // Several renewals later there is still exactly one leader.
            let first = record.leaders.first!
            let lease = try await client.get(Lease.self, name: "controller", namespace: "default")
            #expect(lease.spec?.holderIdentity == first)
            #expect(await poll { (try? await client.get(Lease.self, name: "controller", namespace: "default"))?
                .spec?.renewTime != lease.spec?.renewTime })
            #expect(record.leaders == [first])
            #expect([a, b].filter(\.isLeader).count == 1)

            // The leader stops: it releases the lease and the other takes over.
            let second = first == "a" ? "b" : "a"
            tasks[first]!.cancel()
            await tasks[first]!.value
            #expect(await poll { record.leaders == [second] })
            #expect(record.history == ["+" + first, "-" + first, "+" + second])
            let taken = try await client.get(Lease.self, name: "controller", namespace: "default")
            #expect(taken.spec?.holderIdentity == second)
            #expect(taken.spec?.leaseTransitions == 1)
            #expect(!record.overlapped)
            tasks[second]!.cancel()
            await tasks[second]!.value
            #expect(record.leaders.isEmpty)
        }
    }

    @Test func leaseOfAVanishedLeaderIsTakenAfterItExpires() async throws {
        try await withServer { _, client in
            let record = Leadership()
            // `a` leads, then disappears without releasing (as a crashed process would).
            let a = try LeaderElector(client: client, config: electionConfig("a", release: false))
            let taskA = campaign(a, record)
            #expect(await poll { record.leaders == ["a"] })
            let b = try LeaderElector(client: client, config: electionConfig("b"))
            let taskB = campaign(b, record)
            taskA.cancel()
            await taskA.value
            #expect(try await client.get(Lease.self, name: "controller", namespace: "default").spec?.holderIdentity == "a")
            #expect(await poll { record.leaders == ["b"] })
            #expect(!record.overlapped)
            taskB.cancel()
            await taskB.value
        }
    }

    @Test func badTimingsAreRefused() throws {
        var config = electionConfig("a")
        config.renewDeadline = .seconds(3)
        let client = try KubeClient(config: ClientConfig(server: "http://127.0.0.1:1"))
        #expect(throws: KubeClientError.self) { try LeaderElector(client: client, config: config) }
        config.renewDeadline = .milliseconds(100)
        #expect(throws: KubeClientError.self) { try LeaderElector(client: client, config: config) }
        Task { await client.shutdown() }
    }
}
