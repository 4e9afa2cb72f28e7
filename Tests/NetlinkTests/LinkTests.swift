import Foundation
import NetAddr
import NetNS
import Netlink
import Testing
import TestSupport

@Suite(.enabled(if: isRoot, kernelReason))
struct LinkTests {
    @Test func vethPeerCreatedInAnotherNamespace() throws {
        let pod = try ScratchNamespace(), host = try ScratchNamespace()
        let nl = try RTNetlink(in: pod.netns)
        let hostName = scratchName("veth")
        let podMAC = MACAddress("02:00:00:00:00:01")!, hostMAC = MACAddress("02:00:00:00:00:02")!
        try nl.linkAdd(.veth(name: "eth0", mtu: 1450, mac: podMAC,
                             peer: VethPeer(name: hostName, mtu: 1400, mac: hostMAC, netns: host.netns)))

        let eth0 = try #require(try ipLink(pod, "eth0"))
        #expect(eth0["address"] as? String == "02:00:00:00:00:01")
        #expect(eth0["mtu"] as? Int == 1450)
        let peer = try #require(try ipLink(host, hostName))
        #expect(peer["address"] as? String == "02:00:00:00:00:02")
        #expect(peer["mtu"] as? Int == 1400)
        #expect(try ipLink(pod, hostName) == nil)

        let link = try #require(try nl.linkGet(named: "eth0"))
        #expect(link.kind == "veth")
        #expect(link.mac == podMAC)
        #expect(link.mtu == 1450)
        #expect(link.index == eth0["ifindex"] as? Int)
        #expect(link.parentIndex == peer["ifindex"] as? Int)
        #expect(link.linkNetnsID != nil)
        #expect(!link.isUp)
        #expect(try nl.linkGet(index: link.index) == link)

        let hostNL = try RTNetlink(in: host.netns)
        let hostEnd = try #require(try hostNL.linkGet(named: hostName))
        #expect(hostEnd.parentIndex == link.index)
        #expect(hostEnd.mac == hostMAC)
    }

    @Test func listMatchesIPLink() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let ours = try nl.linkList().map { "\($0.index) \($0.name) \($0.mtu) \($0.mac?.description ?? "-")" }
        let theirs = try ns.ipJSON(["link", "show"]).map {
            "\($0["ifindex"] as! Int) \($0["ifname"] as! String) \($0["mtu"] as! Int) \($0["address"] as? String ?? "-")"
        }
        #expect(ours == theirs)
        #expect(try nl.linkList().first { $0.name == "lo" }?.isUp == true)
    }
}
