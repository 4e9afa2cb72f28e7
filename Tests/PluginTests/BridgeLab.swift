import Foundation
import TestSupport

/// A node namespace, pod namespaces and an IPAM data directory for plugin tests.
/// Everything is removed when the lab goes away.
final class BridgeLab: @unchecked Sendable {
    let node: ScratchNamespace
    let data: ScratchDirectory
    private(set) var pods: [ScratchNamespace] = []
    let bin = builtProductsDirectory

    init() throws {
        node = try ScratchNamespace("tnode")
        data = try ScratchDirectory()
    }

    deinit {
        // Pods first: their veths vanish with them.
        pods.removeAll()
    }

    func pod() throws -> ScratchNamespace {
        let p = try ScratchNamespace("tpod")
        pods.append(p)
        return p
    }

    /// A bridge network configuration. `extra` is spliced into the top-level object and
    /// `ipam` replaces the IPAM section.
    func config(version: String = "1.1.0", type: String = "trellis-bridge", bridge: String = "tbr0",
                extra: String = "", ipam: String? = nil, subnet: String = "10.77.0.0/24") -> String {
        let ipamJSON = ipam ?? #"{"type":"trellis-ipam","dataDir":"\#(data.path)/ipam","ranges":[[{"subnet":"\#(subnet)"}]]}"#
        return #"{"cniVersion":"\#(version)","name":"tnet","type":"\#(type)","bridge":"\#(bridge)"\#(extra.isEmpty ? "" : "," + extra),"ipam":\#(ipamJSON)}"#
    }

    func call(_ command: String?, pod: ScratchNamespace?, container: String? = nil, ifName: String? = "eth0",
              config: String, args: String? = nil, binary: String = "trellis-bridge", dir: String? = nil) throws -> PluginOutput {
        var c = PluginCall(command: command, containerID: container ?? pod?.name, netns: pod?.path, ifName: ifName,
                           args: args, path: dir ?? bin, config: config)
        if command == nil { c.command = nil }
        return try runPlugin((dir ?? bin) + "/" + binary, c, in: node)
    }

    /// Adds `prevResult` to a configuration.
    static func withPrevResult(_ config: String, _ result: String) -> String {
        var obj = try! JSONSerialization.jsonObject(with: Data(config.utf8)) as! [String: Any]
        obj["prevResult"] = try! JSONSerialization.jsonObject(with: Data(result.utf8))
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
    }

    /// Adds GC's valid-attachments list to a configuration.
    static func withAttachments(_ config: String, _ list: [(String, String)], key: String = "cni.dev/valid-attachments") -> String {
        var obj = try! JSONSerialization.jsonObject(with: Data(config.utf8)) as! [String: Any]
        obj[key] = list.map { ["containerID": $0.0, "ifname": $0.1] }
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
    }
}

/// The IP strings of a result's `ips`.
func addresses(_ out: PluginOutput) -> [String] {
    (out.json["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
}
