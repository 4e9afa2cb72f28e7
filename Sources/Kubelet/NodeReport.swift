#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI
import NetAddr
import NetNS
import Netlink

/// What the kubelet reports about its node, gathered once and turned into the Node's status
/// and its Lease by pure functions.
public struct NodeFacts: Equatable, Sendable {
    public var name: String
    /// The node namespace's global addresses, IPv4 first.
    public var addresses: [String]
    public var cpus: Int
    public var memoryKiB: Int64
    public var maxPods: Int
    public var kernelVersion: String
    public var architecture: String
    public var bootID: String
    public var machineID: String

    public init(name: String, addresses: [String], cpus: Int, memoryKiB: Int64, maxPods: Int = 110,
                kernelVersion: String = "", architecture: String = "amd64", bootID: String = "", machineID: String = "") {
        self.name = name; self.addresses = addresses; self.cpus = cpus; self.memoryKiB = memoryKiB
        self.maxPods = maxPods; self.kernelVersion = kernelVersion; self.architecture = architecture
        self.bootID = bootID; self.machineID = machineID
    }

    /// Reads the machine (`/proc`, `uname`) and the addresses of `node` (nil: this namespace).
    public static func gather(name: String, node: NetNS?) throws -> NodeFacts {
        let rt = try node.map { try RTNetlink(in: $0) } ?? RTNetlink()
        let global = try rt.addrList().filter { $0.scope == .universe }.map(\.prefix.address)
        let addresses = (global.filter { $0.family == .v4 } + global.filter { $0.family == .v6 }).map(\.description)
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memLine = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") } ?? ""
        let memory = Int64(memLine.split(separator: " ").dropFirst().first ?? "0") ?? 0
        func read(_ path: String) -> String {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let machine = field(u.machine)
        return NodeFacts(name: name, addresses: addresses, cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                         memoryKiB: memory, kernelVersion: field(u.release),
                         architecture: machine == "x86_64" ? "amd64" : (machine == "aarch64" ? "arm64" : machine),
                         bootID: read("/proc/sys/kernel/random/boot_id"), machineID: read("/etc/machine-id"))
    }
}

extension NodeStatus {
    /// The status a kubelet writes: capacity = allocatable (cpu, memory, pods), addresses
    /// (InternalIP per address, Hostname), node info, and a Ready condition whose heartbeat
    /// is `now` and whose transition time is kept while it does not change.
    public static func kubelet(_ facts: NodeFacts, ready: Bool, previous: NodeStatus?, now: Date) -> NodeStatus {
        var s = NodeStatus()
        let resources: [String: Quantity] = [
            "cpu": Quantity(Int64(facts.cpus)), "memory": Quantity(parsing: "\(facts.memoryKiB)Ki") ?? Quantity(0),
            "pods": Quantity(Int64(facts.maxPods)), "ephemeral-storage": Quantity(parsing: "10Gi") ?? Quantity(0),
        ]
        s.capacity = resources
        s.allocatable = resources
        s.addresses = facts.addresses.map { NodeAddress(type: "InternalIP", address: $0) }
            + [NodeAddress(type: "Hostname", address: facts.name)]
        var info = NodeSystemInfo()
        info.machineID = facts.machineID
        info.bootID = facts.bootID
        info.kernelVersion = facts.kernelVersion
        info.osImage = "Trellis (pods as network namespaces)"
        info.containerRuntimeVersion = "trellis://0.1"
        info.kubeletVersion = "v1.32.0-trellis"
        info.operatingSystem = "linux"
        info.architecture = facts.architecture
        s.nodeInfo = info
        var c = NodeCondition(type: "Ready", status: ready ? "True" : "False")
        c.reason = ready ? "KubeletReady" : "KubeletNotReady"
        c.message = ready ? "kubelet is posting ready status" : "kubelet is starting"
        c.lastHeartbeatTime = Time(now)
        let before = previous?.conditions?.first { $0.type == "Ready" }
        c.lastTransitionTime = before?.status == c.status ? (before?.lastTransitionTime ?? Time(now)) : Time(now)
        s.conditions = [c]
        return s
    }
}

extension Lease {
    /// The node's heartbeat in `kube-node-lease`: holder and name are the node, 40 s duration.
    public static func nodeHeartbeat(node: String, now: Date, previous: Lease? = nil, durationSeconds: Int32 = 40) -> Lease {
        var lease = previous ?? Lease(metadata: ObjectMeta(name: node, namespace: "kube-node-lease"))
        var spec = lease.spec ?? Lease.Spec()
        spec.holderIdentity = node
        spec.leaseDurationSeconds = durationSeconds
        spec.renewTime = MicroTime(now)
        if spec.acquireTime == nil { spec.acquireTime = MicroTime(now) }
        lease.spec = spec
        return lease
    }
}
