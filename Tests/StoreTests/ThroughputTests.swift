import Dispatch
import Store
import Testing
import TestSupport

/// Measurement, printed and not asserted: writes/s with 1, 8 and 64 concurrent writers while
/// 100 watchers follow everything, and the p99 delay from a write's submission to each
/// watcher receiving it. Each write's value carries its submission time. A benchmark, not a
/// test: it runs only with TRELLIS_BENCH=1 (scripts/bench.sh sets it).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1", "benchmark: set TRELLIS_BENCH=1"))
struct ThroughputTests {
    @Test(arguments: [1, 8, 64])
    func writesPerSecondWithHundredWatchers(writers: Int) async throws {
        try await withStore { store, _ in
            let watchers = 100
            let duration: UInt64 = 2_000_000_000
            let streams = try (0..<watchers).map { _ in try store.watch(prefix: "/registry/bench/", fromRevision: 0) }
            let padding = [UInt8](repeating: UInt8(ascii: "x"), count: 500)   // a small object's JSON
            let (written, latencies) = try await withThrowingTaskGroup(of: (Int, [UInt64]).self) { group in
                for s in streams {
                    group.addTask {
                        var delays: [UInt64] = []
                        for try await e in s {
                            if e.key == "/registry/bench/done" { break }
                            let sent = e.value.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                            delays.append(DispatchTime.now().uptimeNanoseconds &- sent)
                        }
                        return (0, delays)
                    }
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let writing = try await withThrowingTaskGroup(of: Int.self) { inner in
                    for w in 0..<writers {
                        inner.addTask {
                            var n = 0
                            while DispatchTime.now().uptimeNanoseconds - start < duration {
                                var sent = DispatchTime.now().uptimeNanoseconds
                                let value = withUnsafeBytes(of: &sent) { Array($0) } + padding
                                try await store.create(key: "/registry/bench/\(w)-\(n)", value: value)
                                n += 1
                            }
                            return n
                        }
                    }
                    return try await inner.reduce(0, +)
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                try await store.create(key: "/registry/bench/done", value: [UInt8](repeating: 0, count: 8))
                var all: [UInt64] = []
                for try await (_, d) in group { all += d }
                return (Double(writing) / elapsed, all.sorted())
            }
            #expect(latencies.count == watchers * (Int(store.currentRevision) - 1))
            guard !latencies.isEmpty else {
                print("store bench: \(writers) writers: no write completed in the window")
                return
            }
            let p50 = Double(latencies[latencies.count / 2]) / 1e6
            let p99 = Double(latencies[latencies.count * 99 / 100]) / 1e6
            let stats = store.commitStatistics
            print("store bench: \(writers) writers, \(watchers) watchers: \(Int(written)) writes/s, "
                + "\(stats.writes) writes in \(stats.transactions) transactions, "
                + "delivery p50 \(String(format: "%.1f", p50)) ms p99 \(String(format: "%.1f", p99)) ms")
        }
    }
}

import Foundation
