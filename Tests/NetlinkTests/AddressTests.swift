import Foundation
import NetAddr
import NetNS
import Netlink
import Testing
import TestSupport

@Suite(.enabled(if: isRoot, kernelReason))
struct AddressTests {
    /// `addr/len #index` lines from `ip -j addr`, for one family.
    func ipAddresses(_ ns: ScratchNamespace, _ family: String) throws -> Set<String> {
        var out: Set<String> = []
        for link in try ns.ipJSON([family, "addr", "show"]) {
            for info in link["addr_info"] as? [[String: Any]] ?? [] {
                out.insert("\(info["local"] as! String)/\(info["prefixlen"] as! Int) #\(link["ifindex"] as! Int)")
            }
        }
        return out
    }

    @Test func addListDelIPv4AndIPv6() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let a0 = try nl.index("a0")
        try nl.linkSetUp(index: a0)
        try nl.addrAdd(IPPrefix("10.1.2.3/24")!, index: a0, label: "a0:web")
        try nl.addrAdd(IPPrefix("10.1.3.3/32")!, index: a0)
        try nl.addrAdd(IPPrefix("fd00::5/64")!, index: a0, noDAD: true)

        for (family, flag) in [(IPFamily.v4, "-4"), (.v6, "-6")] {
            let ours = Set(try nl.addrList(family: family).map { "\($0.prefix) #\($0.index)" })
            #expect(ours == (try ipAddresses(ns, flag)))
        }
        let onA0 = try nl.addrList(index: a0)
        let v4 = try #require(onA0.first { $0.prefix == IPPrefix("10.1.2.3/24") })
        #expect(v4.label == "a0:web")
        #expect(v4.scope == .universe)
        #expect(v4.flags.contains(.permanent))
        let v6 = try #require(onA0.first { $0.prefix == IPPrefix("fd00::5/64") })
        #expect(v6.flags.contains(.noDAD))
        #expect(!v6.isTentative)
        #expect(onA0.allSatisfy { $0.index == a0 })
        #expect(try nl.addrList(family: .v4, index: a0).count == 2)

        let dup = failure { () throws(NetlinkError) in try nl.addrAdd(IPPrefix("10.1.2.3/24")!, index: a0) }
        #expect(dup?.errno == EEXIST)
        // 6.18 adds an extended-ack text: "… File exists (ipv4: Address already assigned)".
        #expect(dup?.description.hasPrefix("RTM_NEWADDR 10.1.2.3/24 dev a0: File exists") == true)

        try nl.addrDel(IPPrefix("10.1.2.3/24")!, index: a0)
        try nl.addrDel(IPPrefix("fd00::5/64")!, index: a0)
        #expect(try ipAddresses(ns, "-4") == ["10.1.3.3/32 #\(a0)", "127.0.0.1/8 #1"])
        let missing = failure { () throws(NetlinkError) in try nl.addrDel(IPPrefix("10.1.2.3/24")!, index: a0) }
        #expect(missing?.errno == EADDRNOTAVAIL)
        #expect(missing?.isNotFound == true)
    }
}
