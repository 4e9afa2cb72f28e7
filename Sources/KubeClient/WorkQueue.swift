/// A queue of keys for controller workers, with the guarantees controllers rely on:
///
/// - an item added several times while waiting is handed out once;
/// - an item is never handed to two workers at once: one added while being processed waits,
///   and is handed out again after `done(_:)`;
/// - `addRateLimited` re-adds after a per-item backoff that grows with each failure until
///   `forget`; `addAfter` re-adds after a delay;
/// - after `shutdown()`, `get()` returns nil once the queue is empty and adds are ignored.
public final class WorkQueue<Item: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Item] = []
        var head = 0
        /// Items waiting to be processed (queued, or to be re-queued after their current run).
        var dirty = Set<Item>()
        var processing = Set<Item>()
        var waiters: [Int: CheckedContinuation<Item?, Never>] = [:]
        var waiterOrder: [Int] = []
        var nextWaiter = 0
        var delayed: [Int: Task<Void, Never>] = [:]
        var nextDelayed = 0
        var shuttingDown = false
    }

    private let state = Locked(State())
    private let limiter: ItemExponentialRateLimiter<Item>

    public init(rateLimiter: ItemExponentialRateLimiter<Item> = ItemExponentialRateLimiter()) {
        limiter = rateLimiter
    }

    /// Queues `item` unless it is already waiting.
    public func add(_ item: Item) {
        let wake: (CheckedContinuation<Item?, Never>, Item)? = state.withLock { s in
            guard !s.shuttingDown, !s.dirty.contains(item) else { return nil }
            s.dirty.insert(item)
            if s.processing.contains(item) { return nil }  // re-queued by done(_:)
            s.queue.append(item)
            return Self.handOff(&s)
        }
        if let wake { wake.0.resume(returning: wake.1) }
    }

    /// The next item, waiting for one if the queue is empty; nil after `shutdown()` (or if the
    /// calling task is cancelled). Call `done(_:)` when finished with it.
    public func get() async -> Item? {
        let id = state.withLock { s in s.nextWaiter += 1; return s.nextWaiter }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                // (item, resume now): an item, nil at once, or wait for `add`.
                let now: (Item?, Bool) = state.withLock { s in
                    if let item = Self.pop(&s) { return (item, true) }
                    if s.shuttingDown || Task.isCancelled { return (nil, true) }
                    s.waiters[id] = continuation
                    s.waiterOrder.append(id)
                    return (nil, false)
                }
                if now.1 { continuation.resume(returning: now.0) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// Marks `item` as processed; if it was added again meanwhile, it is queued now.
    public func done(_ item: Item) {
        let wake: (CheckedContinuation<Item?, Never>, Item)? = state.withLock { s in
            s.processing.remove(item)
            guard s.dirty.contains(item) else { return nil }
            s.queue.append(item)
            return Self.handOff(&s)
        }
        if let wake { wake.0.resume(returning: wake.1) }
    }

    /// Adds `item` after `delay`.
    public func addAfter(_ item: Item, _ delay: Duration) {
        guard delay > .zero else { return add(item) }
        state.withLock { s in
            guard !s.shuttingDown else { return }
            s.nextDelayed += 1
            let id = s.nextDelayed
            s.delayed[id] = Task { [weak self] in
                try? await Task.sleep(for: delay)
                guard let self else { return }
                let cancelled = Task.isCancelled
                self.state.withLock { _ = $0.delayed.removeValue(forKey: id) }
                if !cancelled { self.add(item) }
            }
        }
    }

    /// Adds `item` after its backoff, which doubles with each call until `forget(_:)`.
    public func addRateLimited(_ item: Item) { addAfter(item, limiter.when(item)) }

    /// Clears the failure count of `item` (call after it was processed successfully).
    public func forget(_ item: Item) { limiter.forget(item) }

    /// How many times `item` was rate-limited since the last `forget`.
    public func retries(_ item: Item) -> Int { limiter.retries(item) }

    /// Items waiting (not counting those being processed).
    public var count: Int { state.withLock { $0.queue.count - $0.head } }

    /// Ends the queue: pending delayed adds are dropped, waiting `get()`s return nil, and
    /// `get()` returns nil once the queued items are handed out.
    public func shutdown() {
        let (waiters, delayed) = state.withLock { s in
            s.shuttingDown = true
            let waiting = s.waiterOrder.compactMap { s.waiters[$0] }
            s.waiters = [:]
            s.waiterOrder = []
            defer { s.delayed = [:] }
            return (waiting, Array(s.delayed.values))
        }
        for task in delayed { task.cancel() }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Runs `workers` concurrent workers until shutdown: each takes an item, runs `body`, then
    /// `forget`s it on success or `addRateLimited`s it when `body` throws.
    public func run(workers: Int, _ body: @escaping @Sendable (Item) async throws -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let item = await self.get() {
                        do {
                            try await body(item)
                            self.forget(item)
                        } catch {
                            self.addRateLimited(item)
                        }
                        self.done(item)
                    }
                }
            }
        }
    }

    /// Pops the next queued item into `processing`.
    private static func pop(_ s: inout State) -> Item? {
        guard s.head < s.queue.count else { return nil }
        let item = s.queue[s.head]
        s.head += 1
        if s.head > 64 && s.head * 2 > s.queue.count {
            s.queue.removeFirst(s.head)
            s.head = 0
        }
        s.dirty.remove(item)
        s.processing.insert(item)
        return item
    }

    /// If a worker is waiting, pops an item for it.
    private static func handOff(_ s: inout State) -> (CheckedContinuation<Item?, Never>, Item)? {
        while let id = s.waiterOrder.first {
            s.waiterOrder.removeFirst()
            guard let waiter = s.waiters.removeValue(forKey: id) else { continue }
            guard let item = pop(&s) else {
                s.waiters[id] = waiter
                s.waiterOrder.insert(id, at: 0)
                return nil
            }
            return (waiter, item)
        }
        return nil
    }
}

/// Per-item exponential backoff: `base * 2^failures`, capped at `maximum`.
public final class ItemExponentialRateLimiter<Item: Hashable & Sendable>: Sendable {
    private let base: Duration
    private let maximum: Duration
    private let failures = Locked<[Item: Int]>([:])

    public init(base: Duration = .milliseconds(5), maximum: Duration = .seconds(300)) {
        self.base = base
        self.maximum = maximum
    }

    /// The delay for the next retry of `item`; counts one more failure.
    public func when(_ item: Item) -> Duration {
        let n = failures.withLock { f -> Int in
            let n = f[item, default: 0]
            f[item] = n + 1
            return n
        }
        return min(base * (1 << min(n, 40)), maximum)
    }

    public func forget(_ item: Item) { failures.withLock { _ = $0.removeValue(forKey: item) } }
    public func retries(_ item: Item) -> Int { failures.withLock { $0[item, default: 0] } }
}
