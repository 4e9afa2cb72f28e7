import Foundation
import Testing
import NetAddr
import PodNetwork
import TestSupport

@Suite("MACSpoofCheck against the kernel", .enabled(if: isRoot, "needs root for network namespaces"))
struct MACSpoofCheckTests {
    @Test func aPodThatChangesItsMACIsCutOffUntilItRestoresIt() throws {
        let node = try ScratchNamespace("nfnd"), pod = try ScratchNamespace("nfpd")
        try ip(node, "link add br0 type bridge")
        try ip(node, "addr add 10.1.0.1/24 dev br0")
        try ip(node, "link set br0 up")
        try ip(node, "link add vp1 type veth peer name eth0 netns \(pod.name)")
        try ip(node, "link set vp1 master br0 up")
        try ip(pod, "addr add 10.1.0.5/24 dev eth0")
        try ip(pod, "link set eth0 address 02:00:00:00:00:05")
        try ip(pod, "link set eth0 up")
        let podMAC = MACAddress("02:00:00:00:00:05")!

        let check = try MACSpoofCheck(netns: node.netns)
        try check.add(hostInterface: "vp1", mac: podMAC, owner: "c1/eth0")
        #expect(eventually { pings(pod, "10.1.0.1") })

        func setPodMAC(_ mac: String) throws {
            try ip(pod, "link set eth0 address \(mac)")
            try ip(node, "neigh flush dev br0")
            try ip(pod, "neigh flush dev eth0")
        }
        try setPodMAC("02:00:00:00:00:66")
        #expect(!pings(pod, "10.1.0.1") && !pings(pod, "10.1.0.1"))
        try setPodMAC("02:00:00:00:00:05")
        #expect(eventually { pings(pod, "10.1.0.1") })

        let listed = try node.run(["nft", "list", "table", "bridge", "trellis_cni_spoof"]).stdout
        #expect(listed.contains("iifname @ifaces iifname . ether saddr != @allowed drop"), "\(listed)")
        #expect(listed.contains("\"vp1\" . 02:00:00:00:00:05 comment \"c1/eth0 -\""), "\(listed)")

        // Without the element the spoofed MAC gets through again.
        try check.remove(owner: "c1/eth0")
        try setPodMAC("02:00:00:00:00:66")
        #expect(eventually { pings(pod, "10.1.0.1") })
        try check.uninstall()
    }

    @Test func addRemoveAndGCAreIdempotent() throws {
        let ns = try ScratchNamespace("nft")
        let check = try MACSpoofCheck(netns: ns.netns)
        try check.remove(owner: "c1/eth0")
        let m1 = MACAddress("02:00:00:00:00:01")!, m2 = MACAddress("02:00:00:00:00:02")!
        try check.add(hostInterface: "veth1", mac: m1, owner: "c1/eth0")
        try check.add(hostInterface: "veth1", mac: m1, owner: "c1/eth0")
        try check.add(hostInterface: "veth2", mac: m2, owner: "c2/eth0")
        #expect(try check.list()?.map(\.description) == ["veth1 02:00:00:00:00:01 - c1/eth0", "veth2 02:00:00:00:00:02 - c2/eth0"])
        // Re-adding an interface with another MAC replaces the old pair.
        try check.add(hostInterface: "veth2", mac: m1, owner: "c3/eth0")
        #expect(try check.list()?.map(\.description) == ["veth1 02:00:00:00:00:01 - c1/eth0", "veth2 02:00:00:00:00:01 - c3/eth0"])
        try check.remove(owner: "c1/eth0")
        try check.remove(owner: "c1/eth0")
        #expect(try check.list()?.map(\.owner) == ["c3/eth0"])
        #expect(try check.gc(validOwners: []).count == 1)
        #expect(try check.list() == [])
        let listed = try ns.run(["nft", "list", "set", "bridge", "trellis_cni_spoof", "ifaces"]).stdout
        #expect(!listed.contains("veth"))
    }
}
