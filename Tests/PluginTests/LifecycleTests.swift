import Foundation
import Testing
import TestSupport

/// ADD, DEL, CHECK, STATUS and GC on real namespaces.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct LifecycleTests {
    @Test(arguments: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    func addResultIsInRequestedVersion(version: String) throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        let out = try lab.call("ADD", pod: pod, config: lab.config(version: version, extra: #""isGateway":true"#))
        #expect(out.status == 0, "\(out)")
        let json = out.json
        #expect(json["cniVersion"] as? String == version)
        let interfaces = json["interfaces"] as? [[String: Any]] ?? []
        #expect(interfaces.count == 3)
        let ips = json["ips"] as? [[String: Any]] ?? []
        #expect(ips.count == 1)
        for ip in ips {
            let index = ip["interface"] as? Int ?? -1
            #expect(interfaces.indices.contains(index), "interface index \(index) valid")
            #expect(interfaces[index]["sandbox"] as? String == pod.path, "the pod interface carries its sandbox")
            #expect(interfaces[index]["name"] as? String == "eth0")
            #expect(ip["gateway"] as? String == "10.77.0.1")
            if version.hasPrefix("0.") { #expect(ip["version"] as? String == "4") }
            else { #expect(ip["version"] == nil) }
        }
        // Host-side interfaces have no sandbox.
        #expect(interfaces[0]["sandbox"] == nil && interfaces[1]["sandbox"] == nil)
        // The MAC reported is the real one.
        let podLink = try pod.ipJSON(["link", "show", "eth0"]).first
        #expect(podLink?["address"] as? String == interfaces[2]["mac"] as? String)
    }

    @Test func addWhenInterfaceExistsFailsAndReleasesTheAddress() throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        try pod.run(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other"])
        let out = try lab.call("ADD", pod: pod, config: lab.config())
        #expect(out.status != 0 && out.errorCode != 999, "\(out)")
        // The address it reserved was released: the next pod gets the first address.
        let pod2 = try lab.pod()
        let ok = try lab.call("ADD", pod: pod2, config: lab.config())
        #expect(addresses(ok) == ["10.77.0.2/24"], "\(ok)")
    }

    @Test func failureAfterIPAMReleasesTheAddress() throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        // A non-bridge link with the bridge's name makes the bridge step fail after IPAM.
        try lab.node.run(["ip", "link", "add", "tbr0", "type", "veth", "peer", "name", "tbr0p"])
        // A /30 has one usable address (.2; .1 is the gateway): a retry can only succeed if
        // the failed ADD released it.
        let cfg = lab.config(subnet: "10.77.0.0/30")
        let out = try lab.call("ADD", pod: pod, config: cfg)
        #expect(out.status != 0, "\(out)")
        #expect(out.errorCode == 101, "kernel failure code: \(out)")
        #expect((out.json["msg"] as? String)?.contains("not a bridge") == true, "\(out)")
        try lab.node.run(["ip", "link", "del", "tbr0"])
        let retry = try lab.call("ADD", pod: pod, config: cfg)
        #expect(addresses(retry) == ["10.77.0.2/30"], "the failed ADD released 10.77.0.2: \(retry)")
        #expect(try pod.ipJSON(["link"]).count == 2, "lo and eth0 only, no leftover")
    }

    @Test func delIsIdempotentAndToleratesMissingThings() throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        let cfg = lab.config(extra: #""ipMasq":true"#)
        let add = try lab.call("ADD", pod: pod, config: cfg)
        #expect(add.status == 0, "\(add)")
        let withPrev = BridgeLab.withPrevResult(cfg, add.stdout)
        // Twice, with prevResult.
        for _ in 0..<2 {
            let del = try lab.call("DEL", pod: pod, config: withPrev)
            #expect(del.status == 0, "\(del)")
        }
        #expect(try pod.ipJSON(["link"]).count == 1, "eth0 removed")
        // Missing netns: DEL still succeeds and releases.
        let pod2 = try lab.pod()
        let add2 = try lab.call("ADD", pod: pod2, config: cfg)
        #expect(addresses(add2) == ["10.77.0.3/24"], "\(add2)")
        var call = PluginCall(command: "DEL", containerID: pod2.name, netns: "/var/run/netns/gone-\(pod2.name)",
                              ifName: "eth0", path: lab.bin, config: cfg)
        #expect(try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node).status == 0)
        call.netns = nil
        #expect(try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node).status == 0)
        // The host veth went with it.
        let hostLinks = try lab.node.ipJSON(["link"]).compactMap { $0["ifname"] as? String }
        #expect(hostLinks.allSatisfy { !$0.hasPrefix("veth") }, "\(hostLinks)")
        // DEL of an attachment that was never added.
        let never = try lab.call("DEL", pod: nil, container: "never-added", config: cfg)
        #expect(never.status == 0, "\(never)")
        // DEL with an empty prevResult.
        let empty = try lab.call("DEL", pod: pod, config: BridgeLab.withPrevResult(cfg, "{}"))
        #expect(empty.status == 0, "\(empty)")
    }

    @Test func delReleasesEvenWithoutNetns() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(subnet: "10.77.0.0/29")  // .2 ... .6 usable
        var pods: [ScratchNamespace] = []
        for _ in 0..<5 {
            let p = try lab.pod(); pods.append(p)
            #expect(try lab.call("ADD", pod: p, config: cfg).status == 0)
        }
        let full = try lab.call("ADD", pod: try lab.pod(), config: cfg)
        #expect(full.errorCode == 100, "range exhausted: \(full)")
        let del = try lab.call("DEL", pod: nil, container: pods[2].name, config: cfg)
        #expect(del.status == 0)
        let again = try lab.call("ADD", pod: try lab.pod(), config: cfg)
        #expect(addresses(again) == ["10.77.0.4/29"], "\(again)")
    }

    @Test func checkSucceedsAfterAddAndFailsWhenStateIsGone() throws {
        let lab = try BridgeLab()
        let cfg = lab.config(extra: #""isDefaultGateway":true"#)
        for breakage in ["address", "route", "interface"] {
            let pod = try lab.pod()
            let add = try lab.call("ADD", pod: pod, config: cfg)
            #expect(add.status == 0, "\(add)")
            let withPrev = BridgeLab.withPrevResult(cfg, add.stdout)
            let ok = try lab.call("CHECK", pod: pod, config: withPrev)
            #expect(ok.status == 0, "CHECK right after ADD: \(ok)")
            switch breakage {
            case "address": try pod.run(["ip", "addr", "flush", "dev", "eth0"])
            case "route": try pod.run(["ip", "route", "del", "default"])
            default: try pod.run(["ip", "link", "del", "eth0"])
            }
            let bad = try lab.call("CHECK", pod: pod, config: withPrev)
            #expect(bad.status != 0 && bad.errorCode != 999, "CHECK after removing the \(breakage): \(bad)")
            #expect((bad.json["msg"] as? String)?.isEmpty == false)
        }
    }

    @Test func statusReportsAvailability() throws {
        let lab = try BridgeLab()
        let ok = try lab.call("STATUS", pod: nil, ifName: nil, config: lab.config())
        #expect(ok.status == 0, "\(ok)")
        // A full range: no address can be handed out.
        let cfg = lab.config(subnet: "10.77.0.0/30")  // one usable address
        #expect(try lab.call("ADD", pod: try lab.pod(), config: cfg).status == 0)
        let full = try lab.call("STATUS", pod: nil, ifName: nil, config: cfg)
        #expect(full.errorCode == 50, "\(full)")
        // ipMasq with no way out of the node: pods would work, but only locally.
        let masq = lab.config(extra: #""ipMasq":true"#, subnet: "10.76.0.0/24")
        let limited = try lab.call("STATUS", pod: nil, ifName: nil, config: masq)
        #expect(limited.errorCode == 51, "\(limited)")
        try lab.node.run(["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "uplinkp"])
        try lab.node.run(["ip", "addr", "add", "192.0.2.1/24", "dev", "uplink"])
        try lab.node.run(["ip", "link", "set", "uplink", "up"])
        try lab.node.run(["ip", "route", "add", "default", "via", "192.0.2.254", "onlink", "dev", "uplink"])
        let routed = try lab.call("STATUS", pod: nil, ifName: nil, config: masq)
        #expect(routed.status == 0, "\(routed)")
        // An unusable store.
        try "x".write(toFile: lab.data.path + "/file", atomically: true, encoding: .utf8)
        let broken = try lab.call("STATUS", pod: nil, ifName: nil, config: lab.config(
            ipam: #"{"type":"trellis-ipam","dataDir":"\#(lab.data.path)/file/sub","ranges":[[{"subnet":"10.77.0.0/24"}]]}"#))
        #expect(broken.errorCode == 50, "\(broken)")
    }

    @Test(arguments: ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func gcFreesExactlyTheInvalidAttachments(key: String) throws {
        let lab = try BridgeLab()
        let cfg = lab.config(extra: #""ipMasq":true"#, subnet: "10.77.0.0/28")
        var pods: [ScratchNamespace] = []
        for _ in 0..<4 {
            let p = try lab.pod(); pods.append(p)
            #expect(try lab.call("ADD", pod: p, config: cfg).status == 0)
        }
        let keep = [(pods[0].name, "eth0"), (pods[2].name, "eth0")]
        let gc = try lab.call("GC", pod: nil, ifName: nil, config: BridgeLab.withAttachments(cfg, keep, key: key))
        #expect(gc.status == 0, "\(gc)")
        // Kept attachments still CHECK; freed addresses are handed out again.
        var got: [String] = []
        for _ in 0..<2 { got += addresses(try lab.call("ADD", pod: try lab.pod(), config: cfg)) }
        let all = Set(got)
        #expect(!all.contains("10.77.0.2/28") && !all.contains("10.77.0.4/28"), "kept ones not reissued: \(got)")
        // Round robin continues after .5, so fill up to the end and wrap to prove .3 and .5 are free.
        for _ in 0..<12 { got += addresses(try lab.call("ADD", pod: try lab.pod(), config: cfg)) }
        #expect(got.contains("10.77.0.3/28") && got.contains("10.77.0.5/28"), "freed ones reissued: \(got)")
    }
}
