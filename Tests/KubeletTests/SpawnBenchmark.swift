import Foundation
import NetNS
import Testing
import TestSupport
@testable import Kubelet

/// How a container process enters its pod namespace: spawned from a thread that has entered it
/// (what the kubelet does) vs. spawned through `nsenter --net=PATH` (one more exec).
/// Run with TRELLIS_BENCH=1; prints the time per start, asserts nothing about it.
@Suite(.enabled(if: isRoot && ProcessInfo.processInfo.environment["TRELLIS_BENCH"] != nil))
struct SpawnBenchmark {
    @Test func enterThenSpawnVersusNsenter() async throws {
        let ns = try ScratchNamespace("tkbench")
        let runs = 200
        func measure(_ command: ContainerCommand, netns: NetNS?) async throws -> Double {
            let start = Date()
            for _ in 0..<runs {
                let p = try ContainerProcess(command, netns: netns, logPath: nil)
                #expect(await p.waitForExit().code == 0)
            }
            return Date().timeIntervalSince(start) / Double(runs) * 1000
        }
        let direct = ContainerCommand(executable: "/bin/true", arguments: ["true"], environment: [], workingDirectory: nil)
        let viaNsenter = ContainerCommand(executable: "/usr/bin/nsenter", arguments: ["nsenter", "--net=\(ns.path)", "/bin/true"],
                                          environment: [], workingDirectory: nil)
        let entered = try await measure(direct, netns: ns.netns)
        let nsenter = try await measure(viaNsenter, netns: nil)
        let plain = try await measure(direct, netns: nil)
        print("spawn+exit of /bin/true, ms each: plain \(plain), setns thread \(entered), nsenter \(nsenter)")
    }
}
