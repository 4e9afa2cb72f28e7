import Foundation
import Testing
import TestSupport

/// Each reference-bridge configuration key has its effect in the kernel.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct ConfigKeyTests {
    @Test func mtuAndHairpinReachBothEnds() throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        let add = try lab.call("ADD", pod: pod, config: lab.config(extra: #""mtu":1400,"hairpinMode":true"#))
        #expect(add.status == 0, "\(add)")
        let host = (add.json["interfaces"] as? [[String: Any]])?[1]["name"] as? String ?? "?"
        #expect(try pod.ipJSON(["link", "show", "eth0"]).first?["mtu"] as? Int == 1400)
        #expect(try lab.node.ipJSON(["link", "show", host]).first?["mtu"] as? Int == 1400)
        let port = try shell(["bridge", "-j", "-d", "-n", lab.node.name, "link", "show", "dev", host]).stdout.jsonArray.first
        #expect(port?["hairpin"] as? Bool == true, "\(String(describing: port))")
    }

    @Test func promiscModeSetsTheBridgePromiscuous() throws {
        let lab = try BridgeLab()
        #expect(try lab.call("ADD", pod: try lab.pod(), config: lab.config(extra: #""promiscMode":true"#)).status == 0)
        let flags = try lab.node.ipJSON(["link", "show", "tbr0"]).first?["flags"] as? [String] ?? []
        #expect(flags.contains("PROMISC"), "\(flags)")
    }

    @Test func forceAddressReplacesAConflictingGatewayAddress() throws {
        let lab = try BridgeLab()
        try lab.node.run(["ip", "link", "add", "tbr0", "type", "bridge"])
        try lab.node.run(["ip", "addr", "add", "10.77.0.200/24", "dev", "tbr0"])
        let refused = try lab.call("ADD", pod: try lab.pod(), config: lab.config(extra: #""isGateway":true"#))
        #expect(refused.errorCode == 101, "\(refused)")
        #expect((refused.json["msg"] as? String)?.contains("already has an IP address") == true, "\(refused)")
        let forced = try lab.call("ADD", pod: try lab.pod(), config: lab.config(extra: #""isGateway":true,"forceAddress":true"#))
        #expect(forced.status == 0, "\(forced)")
        let addrs = try lab.node.ipJSON(["-4", "addr", "show", "dev", "tbr0"]).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            .compactMap { $0["local"] as? String }
        #expect(addrs == ["10.77.0.1"], "\(addrs)")
    }

    @Test func macSpoofCheckDropsFramesWithAnotherSourceMAC() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(extra: #""isGateway":true,"macspoofchk":true"#)
        let pod = try lab.pod()
        #expect(try lab.call("ADD", pod: pod, config: cfg).status == 0)
        func pings() -> Bool { ((try? pod.run(["ping", "-c", "1", "-W", "1", "10.77.0.1"], check: false))?.status ?? 1) == 0 }
        #expect(pings(), "the pod reaches its gateway with its own MAC")
        try pod.run(["ip", "link", "set", "eth0", "address", "02:00:00:00:66:66"])
        try pod.run(["ip", "neigh", "flush", "all"])
        #expect(!pings(), "a spoofed source MAC is dropped")
        // DEL removes the guard with the pod.
        #expect(try lab.call("DEL", pod: pod, config: cfg).status == 0)
        let listed = try lab.node.run(["nft", "list", "set", "bridge", "trellis_cni_spoof", "allowed"]).stdout
        #expect(!listed.contains(pod.name), "\(listed)")
    }

    @Test func enabledadWaitsForDuplicateAddressDetection() throws {
        let lab = try BridgeLab()
        for dad in [true, false] {
            let pod = try lab.pod()
            let cfg = lab.config(bridge: dad ? "tbr0" : "tbr1", extra: #""enabledad":\#(dad)"#,
                                 ipam: #"{"type":"trellis-ipam","dataDir":"\#(lab.data.path)/ipam\#(dad)","ranges":[[{"subnet":"fd00:77::/64"}]]}"#)
            #expect(try lab.call("ADD", pod: pod, config: cfg).status == 0)
            // Either way the address is usable (not tentative) when ADD returns.
            let info = try pod.ipJSON(["-6", "addr", "show", "dev", "eth0"])
                .flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
                .filter { ($0["scope"] as? String) == "global" }
            #expect(info.count == 1)
            #expect(info.first?["tentative"] == nil, "enabledad=\(dad): \(info)")
            // With DAD off the address was added with nodad.
            #expect((info.first?["nodad"] as? Bool ?? false) == !dad, "enabledad=\(dad): \(info)")
        }
    }
}
