import CNI
import Foundation

/// What the kubelet remembers about one pod sandbox, in `ROOT/pods/UID/sandbox.json`.
///
/// Written before the namespace is created and removed only after CNI DEL and the namespace
/// are gone, so a kubelet that crashes anywhere in between finds the record on restart and
/// can finish the teardown.
public struct SandboxRecord: Codable, Equatable, Sendable {
    public var uid: String
    public var namespace: String
    public var name: String
    /// The pod's named network namespace; nil for a `hostNetwork` pod.
    public var netnsName: String?
    /// CNI_CONTAINERID of the attachment (the pod UID).
    public var containerID: String
    /// The CNI ADD result (spec 1.1.0 JSON) once ADD succeeded.
    public var cniResult: String?
    /// Seconds since 1970 when the sandbox was created.
    public var createdAt: Double

    public init(uid: String, namespace: String, name: String, netnsName: String?, containerID: String,
                cniResult: String? = nil, createdAt: Double = Date().timeIntervalSince1970) {
        self.uid = uid; self.namespace = namespace; self.name = name; self.netnsName = netnsName
        self.containerID = containerID; self.cniResult = cniResult; self.createdAt = createdAt
    }

    /// The cached ADD result, decoded.
    public var result: CNIResult? {
        guard let cniResult else { return nil }
        return try? CNIResult(decoding: Array(cniResult.utf8))
    }

    /// The sandbox's addresses (without prefix length), IPv4 first as Kubernetes lists them.
    public var podIPs: [String] {
        guard let result else { return [] }
        let ips = result.ips.map { $0.address.address }
        return (ips.filter { $0.family == .v4 } + ips.filter { $0.family == .v6 }).map(\.description)
    }
}

/// The kubelet's directory: one folder per pod with its sandbox record and container logs.
public struct SandboxStore: Sendable {
    public var rootDirectory: String

    public init(rootDirectory: String) { self.rootDirectory = rootDirectory }

    public func podDirectory(uid: String) -> String { "\(rootDirectory)/pods/\(uid)" }
    func recordPath(uid: String) -> String { podDirectory(uid: uid) + "/sandbox.json" }

    /// `ROOT/pods/UID/logs/CONTAINER/RESTARTS.log`: stdout and stderr of one run of a container.
    public func logPath(uid: String, container: String, restartCount: Int) -> String {
        "\(podDirectory(uid: uid))/logs/\(container)/\(restartCount).log"
    }

    /// Writes the record atomically (temporary file, fsync-free rename: losing the newest
    /// write to a power cut only loses the cached result, which DEL does not need).
    public func save(_ record: SandboxRecord) throws(KubeletError) {
        let dir = podDirectory(uid: record.uid)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let data = try JSONEncoder().encode(record)
            try data.write(to: URL(fileURLWithPath: recordPath(uid: record.uid)), options: .atomic)
        } catch {
            throw KubeletError("save sandbox record", dir, detail: "\(error)")
        }
    }

    public func load(uid: String) -> SandboxRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath(uid: uid)) else { return nil }
        return try? JSONDecoder().decode(SandboxRecord.self, from: data)
    }

    /// Every record on disk: the sandboxes a restarted kubelet must adopt or clean up.
    public func list() -> [SandboxRecord] {
        let uids = (try? FileManager.default.contentsOfDirectory(atPath: "\(rootDirectory)/pods")) ?? []
        return uids.sorted().compactMap { load(uid: $0) }
    }

    /// Removes the pod's record (and its logs) once the sandbox is gone.
    public func remove(uid: String) {
        try? FileManager.default.removeItem(atPath: podDirectory(uid: uid))
    }
}
