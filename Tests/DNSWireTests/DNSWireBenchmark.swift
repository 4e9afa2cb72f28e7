#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import DNSWire

/// Measurement, printed and not asserted: decode a query and write an A answer, 1,000,000
/// times, in ns/op, plus heap allocations inside the loop when the counting shim is
/// preloaded (scripts/malloc-count.c). Runs only with TRELLIS_BENCH=1. Release numbers:
///
///     cc -O2 -shared -fPIC -o /tmp/libtrellis-malloc-count.so scripts/malloc-count.c
///     TRELLIS_BENCH=1 LD_PRELOAD=/tmp/libtrellis-malloc-count.so swift test -c release \
///       -Xswiftc -enable-testing --scratch-path .build-release --filter DNSWireBenchmark
@Suite(.enabled(if: getenv("TRELLIS_BENCH").map { String(cString: $0) } == "1", "benchmark: set TRELLIS_BENCH=1"))
struct DNSWireBenchmark {
    /// The shim's counter, if LD_PRELOADed.
    static func mallocCalls() -> UInt64? {
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "trellis_malloc_calls") else { return nil }
        return sym.assumingMemoryBound(to: UInt64.self).pointee
    }

    @Test func decodeQueryAndEncodeAAnswer() throws {
        let query = queryBytes("web.default.svc.cluster.local", edns: EDNS(udpPayloadSize: 1232))
        let answer = DNSRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(0x0A60_0001))
        var writer = DNSResponseWriter()
        var sink = 0
        func once() throws(DNSWireError) {
            let q = try DNSQuery(parsing: query.span)
            writer.beginResponse(to: q)
            if q.question.type == .a && q.question.name.matches(answer.name) {
                writer.append(answer, to: .answer)
            }
            writer.finish()
            sink &+= writer.message.count
        }
        for _ in 0..<10_000 { try once() }  // warm up
        let n = 1_000_000
        let before = Self.mallocCalls()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<n { try once() }
        let elapsed = clock.now - start
        let after = Self.mallocCalls()
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let allocs = before.flatMap { b in after.map { String($0 - b) } } ?? "not counted (LD_PRELOAD scripts/malloc-count.c)"
        print("DNSWire bench (\(build)): decode query + encode A answer: \(Int(ns / Double(n))) ns/op, "
              + "\(Int(Double(n) / (ns / 1e9))) op/s, \(sink / n) bytes/response, heap allocations in \(n) ops: \(allocs); "
              + "DNSRecord is \(MemoryLayout<DNSRecord>.size) bytes, DNSQuery \(MemoryLayout<DNSQuery>.size)")
    }
}
