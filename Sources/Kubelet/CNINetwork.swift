import CNI
import Foundation
import NetNS

/// The node's pod network as a container runtime sees it: the first configuration file in the
/// CNI configuration directory (sorted by name, as libcni and containerd pick it), plugins from
/// the CNI binary directories, every plugin run inside the node's network namespace.
public struct CNINetwork: Sendable {
    public var configDirectory: String
    public var binDirectories: [String]
    /// The namespace playing the node's host namespace; nil when the kubelet runs in it.
    public var node: NetNS?
    /// The interface name inside the pod.
    public var ifName = "eth0"

    public init(configDirectory: String, binDirectories: [String], node: NetNS?) {
        self.configDirectory = configDirectory
        self.binDirectories = binDirectories
        self.node = node
    }

    /// Who the attachment is for: CNI_CONTAINERID, CNI_NETNS and the Kubernetes CNI_ARGS.
    public struct Attachment: Sendable, Equatable {
        public var containerID: String
        public var netnsPath: String
        public var podNamespace: String
        public var podName: String
        public var podUID: String
        public init(containerID: String, netnsPath: String, podNamespace: String, podName: String, podUID: String) {
            self.containerID = containerID; self.netnsPath = netnsPath
            self.podNamespace = podNamespace; self.podName = podName; self.podUID = podUID
        }

        /// `CNI_ARGS` as the kubelet's runtimes (containerd, CRI-O) pass them.
        var args: CNIArgs {
            CNIArgs([.init("IgnoreUnknown", "1"), .init("K8S_POD_NAMESPACE", podNamespace),
                     .init("K8S_POD_NAME", podName), .init("K8S_POD_INFRA_CONTAINER_ID", containerID),
                     .init("K8S_POD_UID", podUID)])
        }
    }

    /// The configuration list in use: the first `*.conflist`, `*.conf` or `*.json` by name.
    public func loadConfig() throws(KubeletError) -> (path: String, list: NetworkConfigList) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: configDirectory)) ?? [])
            .filter { $0.hasSuffix(".conflist") || $0.hasSuffix(".conf") || $0.hasSuffix(".json") }
            .sorted()
        guard let first = names.first else {
            throw KubeletError("load CNI config", configDirectory, detail: "no network configuration found")
        }
        let path = configDirectory + "/" + first
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeletError("read CNI config", path, errno: ENOENT)
        }
        do {
            return (path, try NetworkConfigList(decoding: [UInt8](data)))
        } catch {
            throw KubeletError("decode CNI config", path, detail: "\(error)")
        }
    }

    /// CNI ADD along the chain; the last plugin's result. Blocking: call off the pool.
    public func add(_ attachment: Attachment, runtimeConfig: [String: CNI.JSONValue] = [:]) throws(KubeletError) -> CNIResult {
        let (path, list) = try loadConfig()
        do {
            let result = try list.add(runtimeConfig: runtimeConfig) { (type, config) throws(CNIError) in
                try run(type, .add, attachment, config)
            }
            guard let result else { throw CNIError(CNIError.decodeFailure, "the chain printed no result") }
            return result
        } catch {
            throw KubeletError("CNI ADD \(list.name)", attachment.containerID, detail: "\(path): \(error)")
        }
    }

    /// CNI CHECK with the cached ADD result. Blocking.
    public func check(_ attachment: Attachment, cachedResult: CNIResult,
                      runtimeConfig: [String: CNI.JSONValue] = [:]) throws(KubeletError) {
        let (_, list) = try loadConfig()
        do {
            try list.check(cachedResult: cachedResult, runtimeConfig: runtimeConfig) { (type, config) throws(CNIError) in
                _ = try run(type, .check, attachment, config)
            }
        } catch {
            throw KubeletError("CNI CHECK \(list.name)", attachment.containerID, detail: "\(error)")
        }
    }

    /// CNI DEL along the chain in reverse. Safe to repeat and without the pod namespace. Blocking.
    public func del(_ attachment: Attachment, cachedResult: CNIResult?,
                    runtimeConfig: [String: CNI.JSONValue] = [:]) throws(KubeletError) {
        let (_, list) = try loadConfig()
        do {
            try list.del(cachedResult: cachedResult, runtimeConfig: runtimeConfig) { (type, config) throws(CNIError) in
                _ = try run(type, .del, attachment, config)
            }
        } catch {
            throw KubeletError("CNI DEL \(list.name)", attachment.containerID, detail: "\(error)")
        }
    }

    /// CNI GC (spec 1.1): every plugin of the chain releases what belongs to attachments not in
    /// `valid`. Skipped when the list sets `disableGC` or negotiates a version below 1.1.0.
    /// The plugins' stores must be this node's alone: GC frees whatever is not listed.
    public func gc(valid: [CNINetwork.Attachment]) throws(KubeletError) {
        let (_, list) = try loadConfig()
        let version = list.negotiatedVersion()
        guard !list.disableGC, let minimum = CNICommand.gc.minimumVersion, CNIVersion.isAtLeast(version, minimum) else { return }
        let attachments = valid.map { NetworkConfig.GCAttachment(containerID: $0.containerID, ifName: ifName) }
        let none = Attachment(containerID: "", netnsPath: "", podNamespace: "", podName: "", podUID: "")
        do {
            for i in list.plugins.indices {
                _ = try run(list.type(at: i), .gc, none, list.gcConfig(at: i, validAttachments: attachments).encoded(),
                            attached: false)
            }
        } catch {
            throw KubeletError("CNI GC \(list.name)", configDirectory, detail: "\(error)")
        }
    }

    private func run(_ type: String, _ command: CNICommand, _ attachment: Attachment,
                     _ config: [UInt8], attached: Bool = true) throws(CNIError) -> CNIResult? {
        let binary = try CNIExec.find(type: type, in: binDirectories)
        let node = self.node
        let ifName = self.ifName
        let binDirectories = self.binDirectories
        let outcome: Result<CNIResult?, CNIError>
        do {
            outcome = try inNamespace(node) {
                CNIExec.run(pluginPath: binary, command: command, containerID: attachment.containerID,
                            netns: attachment.netnsPath, ifName: attached ? ifName : "",
                            args: attached ? attachment.args : CNIArgs(), path: binDirectories, config: config)
            }
        } catch {
            throw CNIError(CNIError.invalidEnvironment, "cannot enter the node namespace: \(error)")
        }
        return try outcome.get()
    }
}
