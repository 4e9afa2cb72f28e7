import Foundation
import NetAddr
import SubnetPlugins
import Testing
import TestSupport

@Suite struct SubnetFileTests {
    @Test func roundTrip() throws {
        let file = SubnetFile(mode: "vxlan", podCIDRs: [IPPrefix("10.244.1.0/24")!, IPPrefix("fd10:244:1::/64")!], mtu: 1450)
        #expect(file.text == """
            # Written by trellis routing; read by trellis-hostgw, trellis-vxlan.
            TRELLIS_MODE=vxlan
            TRELLIS_SUBNETS=10.244.1.0/24,fd10:244:1::/64
            TRELLIS_MTU=1450

            """)
        #expect(try SubnetFile(parsing: file.text) == file)
    }

    @Test func toleratesCommentsAndUnknownKeysButNotGarbage() throws {
        let parsed = try SubnetFile(parsing: "# x\n\nOTHER=1\n TRELLIS_SUBNETS=10.1.2.3/16 \r\n")
        #expect(parsed.podCIDRs == [IPPrefix("10.1.0.0/16")!])
        #expect(parsed.mtu == nil)
        #expect(throws: SubnetFileError(line: 2, text: "TRELLIS_MTU=huge")) { try SubnetFile(parsing: "TRELLIS_MODE=x\nTRELLIS_MTU=huge") }
    }
}

@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct SubnetPluginTests {
    @Test func addNeedsASubnetAndDelWorksWithoutOne() throws {
        let node = try ScratchNamespace("tnd")
        let pod = try ScratchNamespace("tpd")
        let dir = try ScratchDirectory()
        let subnetFile = dir.path + "/subnet.env"
        let config = #"{"cniVersion":"1.1.0","name":"snet","type":"trellis-vxlan","subnetFile":"\#(subnetFile)","stateDir":"\#(dir.path)/state","ipam":{"dataDir":"\#(dir.path)/ipam"}}"#
        func call(_ command: String) throws -> PluginOutput {
            try runPlugin(builtProductsDirectory + "/trellis-vxlan",
                          PluginCall(command: command, containerID: pod.name, netns: pod.path, ifName: "eth0",
                                     path: builtProductsDirectory, config: config), in: node)
        }
        let early = try call("ADD")
        #expect(early.errorCode == 11, "\(early)")
        #expect(early.stdout.contains("no pod CIDR for this node yet"))
        try SubnetFile(mode: "vxlan", podCIDRs: [IPPrefix("10.244.5.0/24")!], mtu: 1400).write(path: subnetFile)
        let added = try call("ADD")
        #expect(added.status == 0, "\(added)")
        #expect((added.json["ips"] as? [[String: Any]])?.first?["address"] as? String == "10.244.5.2/24")
        #expect(try pod.ipJSON(["link", "show", "eth0"]).first?["mtu"] as? Int == 1400)
        let bridge = try node.ipJSON(["addr", "show", "trellis0"]).first?["addr_info"] as? [[String: Any]]
        #expect(bridge?.contains { $0["local"] as? String == "10.244.5.1" } == true)
        // The routing daemon is gone and so is its file: DEL still releases everything.
        try shell(["rm", subnetFile])
        let deleted = try call("DEL")
        #expect(deleted.status == 0, "\(deleted)")
        #expect(try pod.run(["ip", "link", "show", "eth0"], check: false).status != 0)
        try SubnetFile(podCIDRs: [IPPrefix("10.244.5.0/24")!]).write(path: subnetFile)
        #expect(try call("DEL").status == 0, "a second DEL is a no-op")
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/state/snet/\(pod.name)-eth0.json"))
        let again = try call("ADD")
        #expect(again.status == 0, "\(again)")
    }
}
