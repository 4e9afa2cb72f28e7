import Foundation
import KubeAPI
import NetNS
import Testing
import TestSupport
@testable import Kubelet

@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct SandboxTests {
    @Test func createCheckAndTeardown() async throws {
        try await withLab { lab in
            let pod = KubeletLab.pod("sb", [])
            let sandbox = lab.sandbox
            let record = try await offPool { try sandbox.create(for: pod) }
            let name = try #require(record.netnsName)
            #expect(name == PodSandbox.netnsName(uid: pod.metadata.uid!))
            #expect(NetNS.list().contains(name))
            let ip = try #require(record.podIPs.first)
            #expect(ip.hasPrefix("10.88.0."))
            #expect(try lab.vethCount() == 1)
            // Loopback is up and eth0 has the address, inside the pod namespace.
            let addrs = try shell(["ip", "-j", "-n", name, "addr"]).stdout
            #expect(addrs.contains(ip))
            #expect(try shell(["ip", "-n", name, "link", "show", "lo"]).stdout.contains("UP"))
            // The node reaches the pod.
            #expect(try lab.node.run(["ping", "-c", "1", "-W", "2", ip], check: false).status == 0)
            // The record is on disk and CHECK passes.
            #expect(sandbox.store.load(uid: pod.metadata.uid!) == record)
            try await offPool { try sandbox.check(record) }

            try await offPool { try sandbox.teardown(record) }
            #expect(!NetNS.list().contains(name))
            #expect(try lab.vethCount() == 0)
            #expect(sandbox.store.load(uid: pod.metadata.uid!) == nil)
            #expect(try lab.addressIsFree(ip))
            // Idempotent.
            try await offPool { try sandbox.teardown(record) }
        }
    }

    @Test func aBrokenConfigIsAClearError() async throws {
        try await withLab { lab in
            try "{ not json".write(toFile: lab.confDir + "/00-broken.conflist", atomically: true, encoding: .utf8)
            let sandbox = lab.sandbox
            let pod = KubeletLab.pod("bad", [])
            do {
                _ = try await offPool { try sandbox.create(for: pod) }
                Issue.record("create succeeded with a broken configuration")
            } catch let error as KubeletError {
                #expect(error.description.contains("00-broken.conflist"))
            }
            // The half-made sandbox is still recorded, so teardown removes it.
            let record = try #require(sandbox.store.load(uid: pod.metadata.uid!))
            try FileManager.default.removeItem(atPath: lab.confDir + "/00-broken.conflist")
            try await offPool { try sandbox.teardown(record) }
            #expect(!NetNS.list().contains(PodSandbox.netnsName(uid: pod.metadata.uid!)))
        }
    }

    @Test func aRestartedKubeletCleansUpWhatACrashLeft() async throws {
        try await withLab { lab in
            // A kubelet "crashed" after creating a sandbox and starting a process in it.
            let pod = KubeletLab.pod("left", [])
            let sandbox = lab.sandbox
            let record = try await offPool { try sandbox.create(for: pod) }
            let name = try #require(record.netnsName)
            let ip = try #require(record.podIPs.first)
            let leftover = try BackgroundProcess(["ip", "netns", "exec", name, "sleep", "1000"])
            defer { leftover.stop() }
            #expect(await until { Posix.processes(inNetNS: NetNS.path(named: name)).contains(leftover.pid) })

            // The new kubelet's first full list does not have the pod.
            let restarted = lab.makeManager()
            await restarted.resync([])
            #expect(!NetNS.list().contains(name))
            #expect(try lab.vethCount() == 0)
            #expect(sandbox.store.list().isEmpty)
            #expect(try lab.addressIsFree(ip))
            #expect(await until { Posix.stat(leftover.pid).map { $0.state == "Z" } ?? true })
        }
    }

    @Test func aRestartedKubeletAdoptsASandboxItStillWants() async throws {
        try await withLab { lab in
            let pod = KubeletLab.pod("kept", [KubeletLab.container("main", "sleep 1000")])
            let sandbox = lab.sandbox
            let record = try await offPool { try sandbox.create(for: pod) }
            let ip = try #require(record.podIPs.first)
            let leftover = try BackgroundProcess(["ip", "netns", "exec", record.netnsName!, "sleep", "1000"])
            defer { leftover.stop() }
            // Only once it is inside the namespace (`ip netns exec` enters, then execs) can the
            // kubelet find it there.
            #expect(await until { Posix.processes(inNetNS: NetNS.path(named: record.netnsName!)).contains(leftover.pid) })

            await lab.manager.resync([pod])
            #expect(await until { lab.statuses.latest(pod)?.container("main")?.state?.running != nil })
            // Same namespace, same address; the old process is gone, the container runs anew.
            #expect(lab.statuses.latest(pod)?.podIP == ip)
            #expect(try lab.vethCount() == 1)
            #expect(await until { Posix.stat(leftover.pid).map { $0.state == "Z" } ?? true })
        }
    }
}
