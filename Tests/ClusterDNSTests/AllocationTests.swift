import ClusterDNS
import DNSWire
import Foundation
import Testing

/// Heap allocations per cluster-zone query, counted by scripts/malloc-count.c when it is
/// LD_PRELOADed (skipped otherwise):
///
///     cc -O2 -shared -fPIC -o /tmp/libtrellis-malloc-count.so scripts/malloc-count.c
///     LD_PRELOAD=/tmp/libtrellis-malloc-count.so swift test --skip-build --filter AllocationTests
@Suite(.enabled(if: dlsym(dlopen(nil, RTLD_NOW), "trellis_malloc_calls") != nil, "needs scripts/malloc-count.c preloaded"))
struct AllocationTests {
    static func mallocCalls() -> UInt64 {
        dlsym(dlopen(nil, RTLD_NOW), "trellis_malloc_calls")!.assumingMemoryBound(to: UInt64.self).pointee
    }

    @Test func clusterQueriesDoNotAllocate() throws {
        let snap = SpecFixture.zone().snapshot
        let packets = [Raw.query("web.default.svc.cluster.local.", .a),
                       Raw.query("_http._tcp.hl.default.svc.cluster.local.", .srv, edns: EDNS()),
                       Raw.query("nope.default.svc.cluster.local.", .a),
                       Raw.query("10.0.96.10.in-addr.arpa.", .ptr)]
        var w = DNSResponseWriter(capacity: 1232)
        for p in packets { _ = QueryHandler.handle(p.span, zone: snap, writer: &w, framing: .udp, canForward: false) }
        var total: UInt64 = 0
        for (i, p) in packets.enumerated() {
            let before = Self.mallocCalls()
            for _ in 0..<10_000 { _ = QueryHandler.handle(p.span, zone: snap, writer: &w, framing: .udp, canForward: false) }
            let n = Self.mallocCalls() - before
            total += n
            print("allocations per query, packet \(i): \(Double(n) / 10_000)")
            let q = try DNSQuery(parsing: p)
            let b2 = Self.mallocCalls()
            for _ in 0..<10_000 { _ = snap.answer(q, into: &w) }
            print("  of which answer(): \(Double(Self.mallocCalls() - b2) / 10_000)")
        }
        #expect(Double(total) / 40_000 < 0.01)
    }
}
