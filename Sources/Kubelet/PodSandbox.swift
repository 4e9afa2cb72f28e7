#if canImport(Glibc)
import Glibc
#endif
import CNI
import KubeAPI
import NetNS
import Netlink

/// A pod's sandbox: a named network namespace attached by the node's CNI network, and the
/// record that lets a restarted kubelet find it again. All methods block (namespace switches,
/// plugin runs): call them off the concurrency pool.
public struct PodSandbox: Sendable {
    public var network: CNINetwork
    public var store: SandboxStore
    /// The node's pod CIDRs (`spec.podCIDRs`), passed as the `ipRanges` capability so an IPAM
    /// plugin that declares it allocates from the node's own range.
    public var podCIDRs: [String] = []

    public init(network: CNINetwork, store: SandboxStore) {
        self.network = network
        self.store = store
    }

    /// The sandbox namespace's name: `trellis-` and the first 12 hex digits of the pod UID.
    /// Deterministic, so a restarted kubelet (or an operator with `ip netns`) can find it.
    public static func netnsName(uid: String) -> String {
        let hex = uid.lowercased().filter { $0.isHexDigit }
        return "trellis-" + String(hex.prefix(12))
    }

    /// Creates the sandbox for `pod`: record, namespace, loopback up, CNI ADD. A leftover
    /// namespace of the same name (a crash between create and record) is reused.
    /// A `hostNetwork` pod gets a record and nothing else.
    public func create(for pod: Pod) throws(KubeletError) -> SandboxRecord {
        let uid = pod.metadata.uid ?? ""
        guard !uid.isEmpty else { throw KubeletError("create sandbox", pod.name, detail: "pod has no uid") }
        let hostNetwork = pod.spec?.hostNetwork ?? false
        if let existing = store.load(uid: uid), let adopted = adopt(existing) { return adopted }
        var record = store.load(uid: uid) ?? SandboxRecord(
            uid: uid, namespace: pod.namespace ?? "default", name: pod.name,
            netnsName: hostNetwork ? nil : Self.netnsName(uid: uid), containerID: uid)
        try store.save(record)
        guard let name = record.netnsName else { return record }
        let netns: NetNS
        if let existing = try? NetNS.open(named: name) {
            netns = existing
        } else {
            do throws(NetNSError) { netns = try NetNS.create(named: name) } catch {
                throw KubeletError("create netns", name, errno: error.errno)
            }
        }
        do {
            let rt = try RTNetlink(in: netns)
            if let lo = try rt.linkGet(named: "lo") { try rt.linkSetUp(index: lo.index) }
        } catch {
            throw KubeletError("set lo up", name, detail: "\(error)")
        }
        let result = try network.add(attachment(record), runtimeConfig: Self.runtimeConfig(for: pod, podCIDRs: podCIDRs))
        do {
            record.cniResult = String(decoding: try result.encoded(as: CNIVersion.latest), as: UTF8.self)
        } catch {
            throw KubeletError("encode CNI result", name, detail: "\(error)")
        }
        try store.save(record)
        return record
    }

    /// A sandbox a previous kubelet process created: its leftover processes are killed (they
    /// are not our children, so they could not be watched) and, if CNI CHECK passes, the
    /// namespace and address are kept. Otherwise the attachment is deleted and nil returned,
    /// so `create` attaches afresh.
    func adopt(_ record: SandboxRecord) -> SandboxRecord? {
        guard let name = record.netnsName else { return record }
        let path = NetNS.path(named: name)
        for pid in Posix.processes(inNetNS: path) { Posix.signal(pid, SIGKILL) }
        if record.result != nil, (try? NetNS.open(named: name)) != nil, (try? check(record)) != nil {
            return record
        }
        try? network.del(attachment(record), cachedResult: record.result)
        return nil
    }

    /// CNI CHECK of a created sandbox.
    public func check(_ record: SandboxRecord) throws(KubeletError) {
        guard record.netnsName != nil, let result = record.result else { return }
        try network.check(attachment(record), cachedResult: result)
    }

    /// Tears the sandbox down: kills anything left in its namespace, CNI DEL, deletes the
    /// namespace and the record. Idempotent; safe on a half-created sandbox. On a DEL
    /// failure the record stays, so a later call retries.
    public func teardown(_ record: SandboxRecord) throws(KubeletError) {
        if let name = record.netnsName {
            let path = NetNS.path(named: name)
            for pid in Posix.processes(inNetNS: path) { Posix.signal(pid, SIGKILL) }
            try network.del(attachment(record), cachedResult: record.result)
            do throws(NetNSError) {
                try NetNS.delete(named: name)
            } catch where error.errno == ENOENT {
                // Already gone.
            } catch {
                throw KubeletError("delete netns", name, errno: error.errno)
            }
        }
        store.remove(uid: record.uid)
    }

    /// A handle on the sandbox's namespace; nil for a host-network pod (use the node's).
    public func open(_ record: SandboxRecord) throws(KubeletError) -> NetNS? {
        guard let name = record.netnsName else { return network.node }
        do throws(NetNSError) { return try NetNS.open(named: name) } catch {
            throw KubeletError("open netns", name, errno: error.errno)
        }
    }

    func attachment(_ record: SandboxRecord) -> CNINetwork.Attachment {
        CNINetwork.Attachment(containerID: record.containerID,
                              netnsPath: record.netnsName.map { NetNS.path(named: $0) } ?? "",
                              podNamespace: record.namespace, podName: record.name, podUID: record.uid)
    }

    /// The `runtimeConfig` capabilities a runtime passes: `portMappings` from the containers'
    /// `hostPort`s, `ipRanges` from the node's pod CIDRs (one range set per CIDR).
    static func runtimeConfig(for pod: Pod, podCIDRs: [String] = []) -> [String: CNI.JSONValue] {
        var config: [String: CNI.JSONValue] = [:]
        if !podCIDRs.isEmpty {
            config["ipRanges"] = .array(podCIDRs.map { .array([.object(["subnet": .string($0)])]) })
        }
        var mappings: [CNI.JSONValue] = []
        for container in pod.spec?.containers ?? [] {
            for port in container.ports ?? [] {
                guard let hostPort = port.hostPort, hostPort > 0 else { continue }
                var m: [String: CNI.JSONValue] = [
                    "hostPort": .number(Double(hostPort)), "containerPort": .number(Double(port.containerPort)),
                    "protocol": .string((port.protocol ?? "TCP").lowercased()),
                ]
                if let ip = port.hostIP { m["hostIP"] = .string(ip) }
                mappings.append(.object(m))
            }
        }
        if !mappings.isEmpty { config["portMappings"] = .array(mappings) }
        return config
    }
}
