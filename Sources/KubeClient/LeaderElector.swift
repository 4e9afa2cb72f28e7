import Foundation
import KubeAPI

/// Settings of a leader election on a coordination.k8s.io/v1 Lease, with client-go's meanings.
public struct LeaderElectionConfig: Sendable {
    public var leaseName: String
    public var namespace: String
    /// This candidate's unique name (a pod name, `hostname_uuid`).
    public var identity: String
    /// How long a lease is honoured without renewal before others may take it.
    public var leaseDuration: Duration = .seconds(15)
    /// How long the leader keeps retrying a failed renewal before it gives up leading.
    public var renewDeadline: Duration = .seconds(10)
    /// The pause between attempts to acquire or renew.
    public var retryPeriod: Duration = .seconds(2)
    /// Whether cancelling `run()` releases the lease so another candidate can take over at once.
    public var releaseOnCancel = true

    public init(leaseName: String, namespace: String, identity: String) {
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
    }
}

/// One candidate in a leader election.
///
/// `run` campaigns until this candidate holds the Lease, then leads: it calls
/// `onStartedLeading` in a task and renews the Lease every `retryPeriod`. When renewal has
/// failed for `renewDeadline` (or `run`'s task is cancelled), that task is cancelled and
/// awaited, `onStoppedLeading` is called, the Lease is released (if cancelled and
/// `releaseOnCancel`), and `run` returns. Every write carries the resourceVersion it
/// read, so two candidates can never both succeed in taking the same Lease.
public final class LeaderElector: Sendable {
    public let config: LeaderElectionConfig
    private let client: KubeClient
    private let clock = ContinuousClock()
    private let state = Locked(State())

    private struct State {
        var leading = false
        var observedHolder: String?
        var observedRenewTime: MicroTime?
        var observedAt: ContinuousClock.Instant?
    }

    public init(client: KubeClient, config: LeaderElectionConfig) throws(KubeClientError) {
        guard config.leaseDuration > config.renewDeadline else {
            throw .config("leader election: leaseDuration must be greater than renewDeadline")
        }
        guard config.renewDeadline > config.retryPeriod * 1.2 else {
            throw .config("leader election: renewDeadline must be greater than 1.2 × retryPeriod")
        }
        guard !config.identity.isEmpty else { throw .config("leader election: identity must not be empty") }
        self.client = client
        self.config = config
    }

    /// Whether this candidate currently leads.
    public var isLeader: Bool { state.withLock { $0.leading } }
    /// The holder last seen on the Lease.
    public var observedLeader: String? { state.withLock { $0.observedHolder } }

    /// Campaigns, then leads until leadership is lost or the task is cancelled (see the type's
    /// documentation). Returns without calling either callback if cancelled before acquiring.
    public func run(onStartedLeading: @escaping @Sendable () async -> Void,
                    onStoppedLeading: @escaping @Sendable () -> Void = {}) async {
        var acquired = false
        while !Task.isCancelled {
            if await tryAcquireOrRenew() { acquired = true; break }
            try? await Task.sleep(for: config.retryPeriod * Double.random(in: 1.0...1.2))
        }
        guard acquired else { return }
        state.withLock { $0.leading = true }
        let work = Task { await onStartedLeading() }
        var lastRenew = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: config.retryPeriod)
            if Task.isCancelled { break }
            if await tryAcquireOrRenew() {
                lastRenew = clock.now
            } else if clock.now - lastRenew >= config.renewDeadline {
                break
            }
        }
        // The leader's work ends before the lease can pass to anyone else.
        work.cancel()
        await work.value
        state.withLock { $0.leading = false }
        onStoppedLeading()
        if Task.isCancelled && config.releaseOnCancel {
            // A fresh task: this one is cancelled, and its requests would be too.
            await Task { await self.release() }.value
        }
    }

    /// One attempt: take the Lease if it is free, expired or ours, and renew it. Never throws;
    /// a conflict or an unreachable server counts as "not acquired".
    func tryAcquireOrRenew() async -> Bool {
        let now = MicroTime.now()
        let seconds = Int32(max(1, config.leaseDuration.components.seconds))
        var lease: Lease
        do {
            lease = try await client.get(Lease.self, name: config.leaseName, namespace: config.namespace)
        } catch let error as KubeClientError where error.isNotFound {
            var fresh = Lease(metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace))
            var spec = Lease.Spec()
            spec.holderIdentity = config.identity
            spec.leaseDurationSeconds = seconds
            spec.acquireTime = now
            spec.renewTime = now
            spec.leaseTransitions = 0
            fresh.spec = spec
            guard let created = try? await client.create(fresh) else { return false }
            observe(created)
            return true
        } catch {
            return false
        }
        observe(lease)
        var spec = lease.spec ?? Lease.Spec()
        let holder = spec.holderIdentity ?? ""
        if !holder.isEmpty && holder != config.identity && !observedExpired(spec) { return false }
        if holder != config.identity {
            spec.acquireTime = now
            spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
        }
        spec.holderIdentity = config.identity
        spec.leaseDurationSeconds = seconds
        spec.renewTime = now
        lease.spec = spec
        guard let updated = try? await client.update(lease) else { return false }
        observe(updated)
        return true
    }

    /// Gives the Lease up if this candidate still holds it: no holder, a one-second duration.
    func release() async {
        guard var lease = try? await client.get(Lease.self, name: config.leaseName, namespace: config.namespace),
              lease.spec?.holderIdentity == config.identity else { return }
        lease.spec?.holderIdentity = nil
        lease.spec?.leaseDurationSeconds = 1
        lease.spec?.renewTime = MicroTime.now()
        if let released = try? await client.update(lease) { observe(released) }
    }

    /// Notes when the holder or renew time last changed, by this process's clock: expiry is
    /// judged from that, not from the holder's clock, which may be skewed.
    private func observe(_ lease: Lease) {
        state.withLock { s in
            let holder = lease.spec?.holderIdentity
            let renew = lease.spec?.renewTime
            if s.observedAt == nil || holder != s.observedHolder || renew != s.observedRenewTime {
                s.observedHolder = holder
                s.observedRenewTime = renew
                s.observedAt = clock.now
            }
        }
    }

    private func observedExpired(_ spec: Lease.Spec) -> Bool {
        let duration = Duration.seconds(Int64(spec.leaseDurationSeconds ?? Int32(config.leaseDuration.components.seconds)))
        let observedAt = state.withLock { $0.observedAt } ?? clock.now
        return clock.now - observedAt > duration
    }
}
