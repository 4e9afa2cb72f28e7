import Foundation
import Testing
import TestSupport

/// The same configurations through the reference bridge + host-local and through
/// trellis-bridge + trellis-ipam give equivalent pods: same addresses in the same order, same
/// gateway, routes and interface state.
@Suite(.enabled(if: isRoot && FileManager.default.fileExists(atPath: referencePluginDirectory + "/bridge"),
                "needs root and Debian's containernetworking-plugins"), .serialized)
struct ReferenceComparisonTests {
    static let cases: [(String, String, String)] = [
        // label, bridge keys, ipam keys (without type/dataDir)
        ("basic", #""isGateway":true"#, #""ranges":[[{"subnet":"10.78.0.0/24"}]]"#),
        ("default gateway + masq", #""isDefaultGateway":true,"ipMasq":true"#, #""subnet":"10.78.0.0/24""#),
        ("range start/end + routes", #""isGateway":true,"mtu":1400"#,
         #""ranges":[[{"subnet":"10.78.0.0/16","rangeStart":"10.78.3.10","rangeEnd":"10.78.3.20","gateway":"10.78.0.1"}]],"routes":[{"dst":"192.168.0.0/16"},{"dst":"0.0.0.0/0"}]"#),
        ("two ranges in a set", "",
         #""ranges":[[{"subnet":"10.78.0.0/30"},{"subnet":"10.79.0.0/24"}]]"#),
        ("dual stack", #""isDefaultGateway":true,"hairpinMode":true"#,
         #""ranges":[[{"subnet":"10.78.0.0/24"}],[{"subnet":"fd00:78::/64"}]]"#),
        ("explicit gateway, not gateway", "", #""ranges":[[{"subnet":"10.78.0.0/24","gateway":"10.78.0.254"}]],"routes":[{"dst":"10.0.0.0/8","gw":"10.78.0.254"}]"#),
    ]

    struct PodView: Equatable, CustomStringConvertible {
        var resultIPs: [String]
        var resultGateways: [String]
        var resultRoutes: [String]
        var podAddresses: [String]
        var podRoutes: [String]
        var podLink: String
        var bridgeAddresses: [String]
        var description: String {
            "ips=\(resultIPs) gw=\(resultGateways) routes=\(resultRoutes) podAddrs=\(podAddresses) podRoutes=\(podRoutes) link=\(podLink) bridge=\(bridgeAddresses)"
        }
    }

    static func view(_ out: PluginOutput, pod: ScratchNamespace, node: ScratchNamespace) throws -> PodView {
        let ips = out.json["ips"] as? [[String: Any]] ?? []
        let routes = (out.json["routes"] as? [[String: Any]] ?? []).map { "\($0["dst"] ?? "") via \($0["gw"] ?? "-")" }
        let addrs = try pod.ipJSON(["addr", "show", "dev", "eth0"]).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            .filter { ($0["scope"] as? String) == "global" }
            .map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        var podRoutes: [String] = []
        for family in ["-4", "-6"] {
            podRoutes += try shell(["ip", "-j", family, "-n", pod.name, "route", "show", "dev", "eth0"]).stdout
                .jsonArray.filter { ($0["protocol"] as? String) != "kernel" && !(($0["dst"] as? String) ?? "").hasPrefix("fe80") }
                .map { "\($0["dst"] ?? "") via \($0["gateway"] ?? "-")" }
        }
        let link = try pod.ipJSON(["link", "show", "eth0"]).first ?? [:]
        let bridge = try node.ipJSON(["addr", "show", "dev", "tbr0"]).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            .filter { ($0["scope"] as? String) == "global" }.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        return PodView(resultIPs: ips.compactMap { $0["address"] as? String },
                       resultGateways: ips.compactMap { $0["gateway"] as? String },
                       resultRoutes: routes.sorted(), podAddresses: addrs.sorted(), podRoutes: podRoutes.sorted(),
                       podLink: "mtu=\(link["mtu"] ?? "") state=\(link["operstate"] ?? "") up=\((link["flags"] as? [String])?.contains("UP") == true)",
                       bridgeAddresses: bridge.sorted())
    }

    @Test(arguments: cases)
    func sameConfigSamePods(label: String, bridgeKeys: String, ipamKeys: String) throws {
        let ours = try BridgeLab(), ref = try BridgeLab()
        func config(_ lab: BridgeLab, type: String, ipamType: String) -> String {
            lab.config(version: "1.0.0", type: type, extra: bridgeKeys,
                       ipam: #"{"type":"\#(ipamType)","dataDir":"\#(lab.data.path)/ipam",\#(ipamKeys)}"#)
        }
        var ourViews: [PodView] = [], refViews: [PodView] = []
        for i in 0..<3 {
            let p1 = try ours.pod(), p2 = try ref.pod()
            let a = try ours.call("ADD", pod: p1, container: "pod\(i)", config: config(ours, type: "trellis-bridge", ipamType: "trellis-ipam"))
            let b = try ref.call("ADD", pod: p2, container: "pod\(i)", config: config(ref, type: "bridge", ipamType: "host-local"),
                                 binary: "bridge", dir: referencePluginDirectory)
            #expect(a.status == 0, "ours: \(a)")
            #expect(b.status == 0, "reference: \(b)")
            ourViews.append(try Self.view(a, pod: p1, node: ours.node))
            refViews.append(try Self.view(b, pod: p2, node: ref.node))
        }
        for (o, r) in zip(ourViews, refViews) {
            #expect(o == r, "\(label):\n ours      \(o)\n reference \(r)")
        }
    }

    @Test func delegatingToTheReferenceHostLocalWorks() throws {
        // trellis-bridge executes a non-trellis IPAM plugin from CNI_PATH like a runtime would.
        let lab = try BridgeLab()
        let dir = try ScratchDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/host-local", withDestinationPath: referencePluginDirectory + "/host-local")
        // Debian's host-local speaks CNI up to 1.0.0.
        let cfg = lab.config(version: "1.0.0", extra: #""isGateway":true"#, ipam: #"{"type":"host-local","dataDir":"\#(lab.data.path)/hl","subnet":"10.80.0.0/24"}"#)
        let pod = try lab.pod()
        var call = PluginCall(command: "ADD", containerID: "c1", netns: pod.path, ifName: "eth0",
                              path: dir.path, config: cfg)
        let add = try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node)
        #expect(addresses(add) == ["10.80.0.2/24"], "\(add)")
        call.command = "DEL"
        #expect(try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: lab.data.path + "/hl/tnet")
        #expect(!files.contains("10.80.0.2"), "host-local released the address: \(files)")
    }
}

extension String {
    var jsonArray: [[String: Any]] {
        let t = trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? [] : ((try? JSONSerialization.jsonObject(with: Data(t.utf8))) as? [[String: Any]] ?? [])
    }
}
