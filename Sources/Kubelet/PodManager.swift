import Foundation
import KubeAPI

/// The kubelet's reconcile loop from the pods bound to this node to running sandboxes.
///
/// Driven by events (`upsert`, `delete`, `resync`), so a shared informer's add/update/delete
/// handlers can call it directly. Reports each pod's status when it changes, and says when a
/// pod being deleted has no process and no sandbox left (the moment to complete a graceful
/// deletion with a DELETE of grace period 0).
public actor PodManager {
    /// What the manager tells its owner.
    public struct Handlers: Sendable {
        /// The pod's computed status changed.
        public var statusChanged: @Sendable (Pod, PodStatus) async -> Void
        /// The pod (deleted, or marked with a deletionTimestamp) has been fully stopped.
        public var terminated: @Sendable (Pod) async -> Void
        public init(statusChanged: @escaping @Sendable (Pod, PodStatus) async -> Void = { _, _ in },
                    terminated: @escaping @Sendable (Pod) async -> Void = { _ in }) {
            self.statusChanged = statusChanged
            self.terminated = terminated
        }
    }

    public let settings: KubeletSettings
    private let handlers: Handlers
    private var workers: [String: PodWorker] = [:]
    /// UIDs whose termination is under way (their worker stays until it is done).
    private var terminating: Set<String> = []

    public init(settings: KubeletSettings, handlers: Handlers) {
        self.settings = settings
        self.handlers = handlers
    }

    /// A pod was added or changed. Starts it if new; terminates it gracefully once it has a
    /// `deletionTimestamp`. Pods of other nodes and finished UIDs are ignored.
    public func upsert(_ pod: Pod) async {
        guard let uid = pod.metadata.uid, !uid.isEmpty else { return }
        if let worker = workers[uid] {
            await worker.update(pod)
        } else {
            if pod.metadata.deletionTimestamp != nil {
                // Never started here (e.g. deleted while the kubelet was down): nothing to stop.
                if settings.sandbox.store.load(uid: uid) == nil { await handlers.terminated(pod); return }
            }
            if isTerminal(pod) && pod.metadata.deletionTimestamp == nil { return }
            let handlers = self.handlers
            let worker = PodWorker(pod: pod, settings: settings) { pod, status in
                await handlers.statusChanged(pod, status)
            }
            workers[uid] = worker
            await worker.start()
        }
        if pod.metadata.deletionTimestamp != nil { terminate(pod) }
    }

    /// The pod is gone from the API (or no longer bound here): stop it now, with its grace period.
    public func delete(_ pod: Pod) async {
        guard let uid = pod.metadata.uid else { return }
        if workers[uid] == nil, let record = settings.sandbox.store.load(uid: uid) {
            await cleanUp(record)
            return
        }
        terminate(pod)
    }

    /// The complete desired set (after an informer's initial list): starts what is missing and
    /// stops what is not in it, including sandboxes a previous kubelet left behind.
    public func resync(_ pods: [Pod]) async {
        let wanted = Set(pods.compactMap(\.metadata.uid))
        for pod in pods { await upsert(pod) }
        for (uid, worker) in workers where !wanted.contains(uid) {
            terminate(await worker.pod)
        }
        for record in settings.sandbox.store.list() where !wanted.contains(record.uid) && workers[record.uid] == nil {
            await cleanUp(record)
        }
        if settings.garbageCollect { await collectGarbage() }
    }

    /// CNI GC with the attachments of every recorded sandbox as the valid set: frees addresses
    /// and links of attachments this node no longer knows (a DEL lost in a crash).
    public func collectGarbage() async {
        let sandbox = settings.sandbox
        do {
            try await offPool {
                let valid = sandbox.store.list().filter { $0.netnsName != nil }.map(sandbox.attachment)
                try sandbox.network.gc(valid: valid)
            }
        } catch {
            // Reported, not fatal: a plugin without GC support or a version below 1.1.0.
            FileHandle.standardError.write(Data("trellis kubelet: \(error)\n".utf8))
        }
    }

    /// Tears down every sandbox recorded under the root directory that no worker owns: what a
    /// crashed kubelet left behind. Call at start-up, before the first `resync`, only when every
    /// recorded pod is known to be gone; otherwise `resync` does it selectively.
    public func cleanUpAbandonedSandboxes() async {
        for record in settings.sandbox.store.list() where workers[record.uid] == nil { await cleanUp(record) }
    }

    /// The last status computed for a pod.
    public func status(uid: String) async -> PodStatus? { await workers[uid]?.status }

    /// UIDs with a worker (running or terminating).
    public var podUIDs: [String] { workers.keys.sorted() }

    /// Stops every pod (kubelet shutdown with `--remove-pods`, tests).
    public func stopAll(grace: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in workers.values { group.addTask { await worker.terminate(grace: grace) } }
        }
        workers = [:]
        terminating = []
    }

    /// Waits until no pod is terminating (tests, shutdown).
    public func waitForTerminations() async {
        while !terminating.isEmpty { try? await Task.sleep(for: .milliseconds(20)) }
    }

    private func terminate(_ pod: Pod) {
        guard let uid = pod.metadata.uid, let worker = workers[uid], !terminating.contains(uid) else { return }
        terminating.insert(uid)
        let grace = Self.gracePeriod(pod)
        let handlers = self.handlers
        Task {
            await worker.terminate(grace: grace)
            let last = await worker.pod
            self.finished(uid)
            await handlers.terminated(last)
        }
    }

    private func finished(_ uid: String) {
        workers[uid] = nil
        terminating.remove(uid)
    }

    private func cleanUp(_ record: SandboxRecord) async {
        let sandbox = settings.sandbox
        _ = try? await offPool { try sandbox.teardown(record) }
    }

    /// `deletionGracePeriodSeconds`, else `terminationGracePeriodSeconds`, else 30 s.
    static func gracePeriod(_ pod: Pod) -> Duration {
        .seconds(Int(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30))
    }

    private func isTerminal(_ pod: Pod) -> Bool {
        pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed"
    }
}
