import CNI
import FoundationEssentials
import NetAddr

/// What the node-subnet plugins share: finding the node's pod CIDRs (config or subnet file),
/// generating the IPAM section, and keeping the generated configuration for DEL.
enum NodeSubnet {
    /// The configuration object with `podCIDRs`/`subnetFile`/`stateDir` removed and an `ipam`
    /// section over the pod CIDRs (`trellis-ipam` unless given; given ranges are kept), and
    /// the subnet (its MTU defaulting to `defaultMTU`).
    static func resolve(_ call: CNICall, defaultMTU: Int?) throws(CNIError) -> ([String: JSONValue], SubnetFile) {
        guard var o = call.config.json.objectValue else { throw CNIError(CNIError.invalidConfig, "configuration is not an object") }
        var subnet = SubnetFile(podCIDRs: [])
        if let list = o["podCIDRs"]?.arrayValue {
            for v in list {
                guard let text = v.stringValue, let p = IPPrefix(text) else {
                    throw CNIError(CNIError.invalidConfig, "podCIDRs: \(v) is not a CIDR")
                }
                subnet.podCIDRs.append(p.network)
            }
        } else {
            let path = o["subnetFile"]?.stringValue ?? SubnetFile.defaultPath
            do { subnet = try SubnetFile.read(path: path) } catch {
                throw CNIError(CNIError.tryAgainLater, "no pod CIDR for this node yet: cannot read \(path)",
                               details: "is trellis routing running? (\(error))")
            }
        }
        guard !subnet.podCIDRs.isEmpty else { throw CNIError(CNIError.tryAgainLater, "no pod CIDR for this node yet") }
        if subnet.mtu == nil { subnet.mtu = defaultMTU }
        var ipam = o["ipam"]?.objectValue ?? [:]
        if ipam["type"] == nil { ipam["type"] = "trellis-ipam" }
        if ipam["ranges"] == nil && ipam["subnet"] == nil {
            ipam["ranges"] = .array(subnet.podCIDRs.map { .array([.object(["subnet": .string($0.description)])]) })
        }
        o["ipam"] = .object(ipam)
        for key in ["podCIDRs", "subnetFile", "stateDir"] { o[key] = nil }
        return (o, subnet)
    }

    static func rebuild(_ call: CNICall, _ stdin: [UInt8]) throws(CNIError) -> CNICall {
        CNICall(environment: call.environment, config: try NetworkConfig(decoding: stdin), stdin: stdin,
                processEnvironment: call.processEnvironment)
    }

    // MARK: State for DEL

    static func statePath(_ call: CNICall) -> String {
        let dir = call.config.json["stateDir"]?.stringValue ?? "/var/lib/cni/trellis-subnet"
        return "\(dir)/\(call.config.name)/\(call.containerID)-\(call.ifName).json"
    }

    static func saveState(_ call: CNICall, _ bytes: [UInt8]) throws(CNIError) {
        let url = URL(fileURLWithPath: statePath(call))
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw CNIError(CNIError.ioFailure, "cannot save delegated configuration \(url.path)", details: "\(error)")
        }
    }

    static func loadState(_ call: CNICall) -> [UInt8]? {
        (try? Data(contentsOf: URL(fileURLWithPath: statePath(call)))).map { [UInt8]($0) }
    }

    static func removeState(_ call: CNICall) {
        try? FileManager.default.removeItem(atPath: statePath(call))
    }
}
