import CNI
import Foundation
import IPAM
import NetAddr
import Testing

/// Per-update cost of `FileStore` on the disk under /tmp. A no-op unless `IPAM_BENCH=1`
/// (timings are not assertions): `IPAM_BENCH=1 swift test --filter fileStoreUpdateCost`.
@Suite struct FileStoreBenchmark {
    @Test func fileStoreUpdateCost() throws {
        guard ProcessInfo.processInfo.environment["IPAM_BENCH"] == "1" else { return }
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            // 20 allocations as a base, then 200 updates that each add or remove one.
            try store.update(network: "net") { s in
                for i in 0..<20 { s.insert(Allocation(ip: ip("10.20.1.\(i + 1)"), containerID: "base\(i)", ifName: "eth0")) }
            }
            var samples: [Double] = []
            for i in 0..<200 {
                let t0 = Date()
                try store.update(network: "net") { s in
                    if i % 2 == 0 {
                        s.insert(Allocation(ip: ip("10.20.2.\(i / 2 + 1)"), containerID: "c\(i)", ifName: "eth0"))
                    } else {
                        s.removeAll { $0.containerID == "c\(i - 1)" }
                    }
                }
                samples.append(Date().timeIntervalSince(t0) * 1000)
            }
            // The same updates without the disk: decode + body + encode, the in-memory share.
            var state = try store.load(network: "net")
            let m0 = Date()
            for i in 0..<200 {
                var s = try AllocationState(decoding: state.encoded())
                if i % 2 == 0 {
                    s.insert(Allocation(ip: ip("10.20.3.\(i / 2 + 1)"), containerID: "m\(i)", ifName: "eth0"))
                } else {
                    s.removeAll { $0.containerID == "m\(i - 1)" }
                }
                state = s
            }
            let codec = Date().timeIntervalSince(m0) * 1000 / 200
            samples.sort()
            let mean = samples.reduce(0, +) / Double(samples.count)
            print(String(format: "FileStore 200 updates: mean %.3f ms, median %.3f ms, p90 %.3f ms, max %.3f ms; codec-only %.3f ms",
                         mean, samples[100], samples[180], samples[199], codec))
        }
    }
}
