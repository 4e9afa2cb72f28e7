import Foundation
@testable import KubeClient
import Testing

/// Pure tests of the work queue's rules: no server, no timing assertions.
@Suite struct WorkQueueTests {
    @Test func itemAddedTwiceWhileWaitingIsProcessedOnce() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(queue.count == 0)
        queue.done("a")
        queue.done("b")
        #expect(queue.count == 0)
    }

    @Test func itemBeingProcessedIsNotHandedOutAgainUntilDone() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        #expect(await queue.get() == "a")
        // Re-added during processing: held back, not queued, so no second worker can take it.
        queue.add("a")
        queue.add("a")
        #expect(queue.count == 0)
        let waiter = Task { await queue.get() }
        queue.add("b")
        #expect(await waiter.value == "b")
        // After the current run, it is processed again (once).
        queue.done("a")
        #expect(queue.count == 1)
        #expect(await queue.get() == "a")
        queue.done("a")
        queue.done("b")
        #expect(queue.count == 0)
    }

    @Test func workersNeverShareAnItemAndReaddsAreProcessedAfterwards() async {
        let queue = WorkQueue<Int>()
        let active = Locked(Set<Int>())
        let overlaps = Locked(0)
        // For each key: how many adds are still owed a later run.
        let owed = Locked([Int: Int]())
        let processed = Locked(0)
        let runner = Task {
            await queue.run(workers: 4) { key in
                let fresh = active.withLock { $0.insert(key).inserted }
                if !fresh { overlaps.withLock { $0 += 1 } }
                owed.withLock { $0[key] = 0 }  // this run covers every add before it started
                await Task.yield()
                active.withLock { _ = $0.remove(key) }
                processed.withLock { $0 += 1 }
            }
        }
        for round in 0..<200 {
            let key = round % 7
            owed.withLock { $0[key, default: 0] += 1 }
            queue.add(key)
            if round % 10 == 0 { await Task.yield() }
        }
        #expect(await poll { owed.current.values.allSatisfy { $0 == 0 } && queue.count == 0 })
        queue.shutdown()
        await runner.value
        #expect(overlaps.current == 0)
        #expect(processed.current <= 200)
    }

    @Test func rateLimitedBackoffGrowsPerItemUntilForgotten() async {
        let limiter = ItemExponentialRateLimiter<String>(base: .milliseconds(5), maximum: .seconds(1))
        #expect(limiter.when("a") == .milliseconds(5))
        #expect(limiter.when("a") == .milliseconds(10))
        #expect(limiter.when("a") == .milliseconds(20))
        #expect(limiter.when("b") == .milliseconds(5))
        #expect(limiter.retries("a") == 3)
        for _ in 0..<20 { _ = limiter.when("a") }
        #expect(limiter.when("a") == .seconds(1))
        limiter.forget("a")
        #expect(limiter.retries("a") == 0)
        #expect(limiter.when("a") == .milliseconds(5))

        let queue = WorkQueue<String>(rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(1), maximum: .milliseconds(50)))
        queue.addRateLimited("x")
        queue.addRateLimited("x")
        #expect(queue.retries("x") == 2)
        #expect(await queue.get() == "x")
        queue.forget("x")
        queue.done("x")
        #expect(queue.retries("x") == 0)
    }

    @Test func failuresAreRetriedWithBackoffByRun() async {
        let queue = WorkQueue<String>(rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(1), maximum: .milliseconds(20)))
        let attempts = Locked(0)
        let runner = Task {
            await queue.run(workers: 2) { _ in
                let n = attempts.withLock { $0 += 1; return $0 }
                if n < 4 { throw KubeClientError.transport("try again") }
            }
        }
        queue.add("job")
        #expect(await poll { attempts.current == 4 && queue.retries("job") == 0 })
        queue.shutdown()
        await runner.value
    }

    @Test func addAfterDelaysAndShutdownEndsGet() async {
        let queue = WorkQueue<String>()
        queue.addAfter("later", .milliseconds(10))
        #expect(await queue.get() == "later")
        queue.done("later")
        let waiter = Task { await queue.get() }
        queue.addAfter("never", .seconds(3600))
        queue.shutdown()
        #expect(await waiter.value == nil)
        queue.add("ignored")
        #expect(queue.count == 0)
        #expect(await queue.get() == nil)
        #expect(queue.isShuttingDown)
    }

    @Test func cancelledGetReturnsNil() async {
        let queue = WorkQueue<String>()
        let waiter = Task { await queue.get() }
        waiter.cancel()
        #expect(await waiter.value == nil)
        queue.add("a")
        #expect(await queue.get() == "a")
    }
}
