import Foundation
import KubeAPI
import NetNS
import Synchronization
import TestSupport
@testable import Kubelet

/// A node namespace with a bridge conflist (real `trellis-bridge` + `trellis-ipam`), a kubelet
/// root directory and a `PodManager` recording every status it reports. `withLab` removes
/// every pod, sandbox and namespace afterwards, even when the test fails.
final class KubeletLab: @unchecked Sendable {
    let node: ScratchNamespace
    let dir: ScratchDirectory
    let bridge: String
    let subnet = "10.88.0.0/24"
    let statuses = StatusLog()
    let terminated = TerminationLog()
    private(set) var manager: PodManager!

    init(backOff: RestartBackOff = RestartBackOff(initial: .milliseconds(200), maximum: .seconds(1))) throws {
        node = try ScratchNamespace("tknode")
        dir = try ScratchDirectory()
        bridge = scratchName("kbr")
        try FileManager.default.createDirectory(atPath: confDir, withIntermediateDirectories: true)
        let conflist = #"""
        {"cniVersion":"1.1.0","name":"tknet","plugins":[{"type":"trellis-bridge","bridge":"\#(bridge)","isGateway":true,
         "ipam":{"type":"trellis-ipam","dataDir":"\#(dir.path)/ipam","ranges":[[{"subnet":"\#(subnet)"}]]}}]}
        """#
        try conflist.write(toFile: confDir + "/10-tknet.conflist", atomically: true, encoding: .utf8)
        manager = makeManager(backOff: backOff)
    }

    var confDir: String { dir.path + "/net.d" }
    var rootDir: String { dir.path + "/root" }

    var sandbox: PodSandbox {
        PodSandbox(network: CNINetwork(configDirectory: confDir, binDirectories: [builtProductsDirectory], node: node.netns),
                   store: SandboxStore(rootDirectory: rootDir))
    }

    /// A second manager on the same node and root directory: a restarted kubelet.
    func makeManager(backOff: RestartBackOff = RestartBackOff(initial: .milliseconds(200), maximum: .seconds(1))) -> PodManager {
        let statuses = self.statuses
        let terminated = self.terminated
        let settings = KubeletSettings(sandbox: sandbox, hostIPs: ["192.168.77.1"], backOff: backOff)
        return PodManager(settings: settings, handlers: .init(
            statusChanged: { pod, status in statuses.record(pod.metadata.uid ?? "", status) },
            terminated: { pod in terminated.record(pod.metadata.uid ?? "") }))
    }

    func wasTerminated(_ pod: Pod) -> Bool { terminated.contains(pod.metadata.uid ?? "") }

    /// Stops every pod and removes whatever a test left: sandboxes on disk, namespaces.
    func shutDown() async {
        await manager.stopAll(grace: .seconds(1))
        for record in sandbox.store.list() { try? sandbox.teardown(record) }
    }

    /// A pod bound to this node with a fresh UID.
    static func pod(_ name: String, _ containers: [Container], restartPolicy: String = "Always", grace: Int64 = 2) -> Pod {
        var p = Pod(metadata: ObjectMeta(name: name, namespace: "default"))
        p.metadata.uid = UUID().uuidString.lowercased()
        p.spec = PodSpec(containers: containers)
        p.spec?.restartPolicy = restartPolicy
        p.spec?.nodeName = "tknode"
        p.spec?.terminationGracePeriodSeconds = grace
        return p
    }

    static func container(_ name: String, _ script: String) -> Container {
        var c = Container(name: name, image: "busybox:ignored")
        c.command = ["/bin/sh", "-c", script]
        return c
    }

    /// Whether the node namespace has a veth (the host end of a pod attachment).
    func vethCount() throws -> Int {
        try node.ipJSON(["link", "show", "type", "veth"]).count
    }

    /// Whether `ip` is free in the IPAM store: reserve it explicitly with trellis-ipam, then release it.
    func addressIsFree(_ ip: String) throws -> Bool {
        let config = #"{"cniVersion":"1.1.0","name":"tknet","type":"trellis-bridge","ipam":{"type":"trellis-ipam","dataDir":"\#(dir.path)/ipam","ranges":[[{"subnet":"\#(subnet)"}]]}}"#
        var call = PluginCall(command: "ADD", containerID: "addr-probe", netns: node.path, ifName: "eth0",
                              args: "IgnoreUnknown=1;IP=\(ip)", path: builtProductsDirectory, config: config)
        let out = try runPlugin(builtProductsDirectory + "/trellis-ipam", call, in: node)
        call.command = "DEL"
        _ = try runPlugin(builtProductsDirectory + "/trellis-ipam", call, in: node)
        return out.status == 0
    }

    /// Runs `curl` from the node namespace.
    func fetch(_ url: String) throws -> CommandResult {
        try node.run(["curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url], check: false)
    }
}

/// Every status a manager reported, by pod UID.
final class StatusLog: Sendable {
    private let log = Mutex<[String: [PodStatus]]>([:])
    func record(_ uid: String, _ status: PodStatus) { log.withLock { $0[uid, default: []].append(status) } }
    func latest(_ pod: Pod) -> PodStatus? { log.withLock { $0[pod.metadata.uid ?? ""]?.last } }
    func all(_ pod: Pod) -> [PodStatus] { log.withLock { $0[pod.metadata.uid ?? ""] ?? [] } }
}

extension PodStatus {
    func condition(_ type: String) -> String? { conditions?.first { $0.type == type }?.status }
    func container(_ name: String) -> ContainerStatus? { containerStatuses?.first { $0.name == name } }
}

/// Runs `body` with a lab and always shuts it down.
func withLab(backOff: RestartBackOff = RestartBackOff(initial: .milliseconds(200), maximum: .seconds(1)),
             _ body: (KubeletLab) async throws -> Void) async throws {
    let lab = try KubeletLab(backOff: backOff)
    do {
        try await body(lab)
    } catch {
        await lab.shutDown()
        throw error
    }
    await lab.shutDown()
}

/// Polls `condition` until it holds or a generous hang guard passes; never a timing assertion.
func until(_ timeout: Double = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// UIDs the manager reported as terminated.
final class TerminationLog: Sendable {
    private let uids = Mutex<[String]>([])
    func record(_ uid: String) { uids.withLock { $0.append(uid) } }
    func contains(_ uid: String) -> Bool { uids.withLock { $0.contains(uid) } }
}
