import Foundation
import NetAddr
import NetNS
import Netlink
import Testing
import TestSupport

@Suite(.enabled(if: isRoot, kernelReason))
struct NeighborTests {
    @Test func addReplaceListDel() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let a0 = try nl.index("a0")
        try nl.linkSetUp(index: a0)
        let mac1 = MACAddress("02:00:00:00:00:07")!, mac2 = MACAddress("02:00:00:00:00:08")!
        try nl.neighAdd(Neighbor(address: IPAddress("10.1.0.9")!, index: a0, mac: mac1))
        try nl.neighAdd(Neighbor(address: IPAddress("fd00::9")!, index: a0, mac: mac1, state: .reachable))
        try nl.neighAdd(Neighbor(address: IPAddress("10.1.0.10")!, index: a0, mac: mac2, state: .noARP))

        let shown = try ns.ipJSON(["neigh", "show", "dev", "a0", "nud", "all"])
        let ipText = Set(shown.map { "\($0["dst"]!) \($0["lladdr"] ?? "-") \(($0["state"] as? [String] ?? []).joined(separator: " "))" })
        let ours = Set(try nl.neighList(index: a0).map { "\($0.address) \($0.mac.map { "\($0)" } ?? "-") \($0.state)" })
        #expect(ours == ipText)
        #expect(ours.contains("10.1.0.9 02:00:00:00:00:07 PERMANENT"))
        #expect(try nl.neighList(family: .v6, index: a0).map(\.address) == [IPAddress("fd00::9")!])

        let dup = failure { () throws(NetlinkError) in try nl.neighAdd(Neighbor(address: IPAddress("10.1.0.9")!, index: a0, mac: mac2)) }
        #expect(dup?.errno == EEXIST)
        #expect(dup?.description.hasPrefix("RTM_NEWNEIGH 10.1.0.9 dev a0: File exists") == true)
        try nl.neighReplace(Neighbor(address: IPAddress("10.1.0.9")!, index: a0, mac: mac2))
        #expect(try ns.ipJSON(["neigh", "show", "10.1.0.9", "dev", "a0"]).first?["lladdr"] as? String == mac2.description)

        try nl.neighDel(IPAddress("10.1.0.9")!, index: a0)
        #expect(try ns.ipJSON(["neigh", "show", "10.1.0.9", "dev", "a0"]).isEmpty)
        let missing = failure { () throws(NetlinkError) in try nl.neighDel(IPAddress("10.1.0.9")!, index: a0) }
        #expect(missing?.errno == ENOENT)
        #expect(missing?.isNotFound == true)
    }

    @Test func vxlanFDBWithRemoteDestinations() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.vxlan(name: "vx0", VXLANOptions(vni: 7, local: IPAddress("10.0.0.1")!, learning: false)))
        let vx = try nl.index("vx0")
        let zero = MACAddress("00:00:00:00:00:00")!, peerMAC = MACAddress("02:00:00:00:01:02")!
        try nl.fdbAppend(FDBEntry(mac: zero, index: vx, destination: IPAddress("10.0.0.2")!))
        try nl.fdbAppend(FDBEntry(mac: zero, index: vx, destination: IPAddress("10.0.0.3")!))
        try nl.fdbAdd(FDBEntry(mac: peerMAC, index: vx, destination: IPAddress("10.0.0.2")!))

        let bridgeText = Set(try bridgeJSON(ns, ["fdb", "show", "dev", "vx0"]).map { "\($0["mac"]!) \($0["dst"] ?? "-")" })
        let ours = Set(try nl.fdbList(index: vx).map { "\($0.mac) \($0.destination.map { "\($0)" } ?? "-")" })
        #expect(ours == bridgeText)
        #expect(ours.isSuperset(of: ["00:00:00:00:00:00 10.0.0.2", "00:00:00:00:00:00 10.0.0.3", "02:00:00:00:01:02 10.0.0.2"]))

        let dup = failure { () throws(NetlinkError) in try nl.fdbAdd(FDBEntry(mac: peerMAC, index: vx, destination: IPAddress("10.0.0.2")!)) }
        #expect(dup?.errno == EEXIST)
        try nl.fdbReplace(FDBEntry(mac: peerMAC, index: vx, destination: IPAddress("10.0.0.9")!))
        #expect(try nl.fdbList(index: vx).first { $0.mac == peerMAC }?.destination == IPAddress("10.0.0.9")!)

        try nl.fdbDel(FDBEntry(mac: zero, index: vx, destination: IPAddress("10.0.0.3")!))
        #expect(try nl.fdbList(index: vx).filter { $0.mac == zero }.map(\.destination) == [IPAddress("10.0.0.2")!])
        try nl.fdbDel(FDBEntry(mac: peerMAC, index: vx))
        let missing = failure { () throws(NetlinkError) in try nl.fdbDel(FDBEntry(mac: peerMAC, index: vx)) }
        #expect(missing?.errno == ENOENT)
    }

    @Test func bridgeMasterFDB() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.bridge(name: "br0"))
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let br = try nl.index("br0"), a0 = try nl.index("a0")
        try nl.linkSetMaster(index: a0, masterIndex: br)
        let mac = MACAddress("02:00:00:00:00:09")!
        try nl.fdbAdd(FDBEntry(mac: mac, index: a0, state: .noARP, flags: .master))

        let shown = try bridgeJSON(ns, ["fdb", "show", "dev", "a0"]).first { $0["mac"] as? String == mac.description }
        #expect(shown?["state"] as? String == "static")
        #expect(shown?["master"] as? String == "br0")
        let entry = try #require(try nl.fdbList(masterIndex: br).first { $0.mac == mac })
        #expect(entry.index == a0)
        #expect(entry.state == .noARP)
        #expect(entry.flags.contains(.master) || !entry.flags.contains(.self_))

        try nl.fdbDel(FDBEntry(mac: mac, index: a0, flags: .master))
        #expect(try nl.fdbList(index: a0).contains { $0.mac == mac } == false)
    }
}
