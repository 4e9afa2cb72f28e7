import Glibc
import Testing
import NetAddr
import NFTables
import PodNetwork

@Suite("PodMasquerade and MACSpoofCheck on the in-memory nftables")
struct PodNetworkFakeTests {
    @Test func firstAddCreatesTheTableLaterAddsOnlyTouchElements() throws {
        let fake = NFTablesFake()
        let masq = PodMasquerade(fake)
        try masq.add(addresses: [IPPrefix("10.1.0.5/24")!], network: "net1", owner: "c1/eth0")
        try masq.add(addresses: [IPPrefix("10.1.0.6/24")!], network: "net1", owner: "c2/eth0")
        #expect(fake.rules(PodMasquerade.chain)?.count == 6)
        #expect(fake.description == """
            table inet trellis_cni
              chain postrouting: 6 rules
              set masq4
                10.1.0.5 comment "c1/eth0 net1"
                10.1.0.6 comment "c2/eth0 net1"
              set masq6
              set nomasq4
                10.1.0.5 . 10.1.0.0/24 comment "c1/eth0 net1"
                10.1.0.6 . 10.1.0.0/24 comment "c2/eth0 net1"
              set nomasq6
            """)
    }

    @Test func aFailedApplyChangesNothingAndIsReported() throws {
        let fake = NFTablesFake()
        let masq = PodMasquerade(fake)
        try masq.add(addresses: [IPPrefix("10.1.0.5/24")!], network: "net1", owner: "c1/eth0")
        let before = fake.description
        fake.failApply(errno: ENOMEM)
        let e = #expect(throws: NFTablesError.self) {
            try masq.add(addresses: [IPPrefix("10.1.0.6/24")!], network: "net1", owner: "c2/eth0")
        }
        #expect(e?.errno == ENOMEM)
        #expect(fake.description == before)
        fake.failApply(errno: EIO)
        #expect(throws: NFTablesError.self) { try masq.remove(owner: "c1/eth0") }
        #expect(try masq.list()?.map(\.owner) == ["c1/eth0"])
        try masq.remove(owner: "c1/eth0")
        #expect(try masq.list() == [])
    }

    @Test(arguments: [
        (["c1/eth0", "c2/eth0", "c3/eth0"], ["c1/eth0", "c2/eth0", "c3/eth0"]),
        (["c2/eth0"], ["c2/eth0"]),
        ([], []),
        (["c9/eth0"], []),
    ])
    func gcKeepsExactlyTheValidOwners(valid: [String], kept: [String]) throws {
        let masq = PodMasquerade(NFTablesFake())
        let spoof = MACSpoofCheck(NFTablesFake())
        for i in 1...3 {
            try masq.add(addresses: [IPPrefix("10.1.0.\(i)/24")!, IPPrefix("fd01::\(i)/64")!], network: "n", owner: "c\(i)/eth0")
            try spoof.add(hostInterface: "veth\(i)", mac: MACAddress("02:00:00:00:00:0\(i)")!, owner: "c\(i)/eth0")
        }
        try masq.gc(validOwners: Set(valid))
        try spoof.gc(validOwners: Set(valid))
        #expect(Set(try masq.list()!.map(\.owner)) == Set(kept))
        #expect(try masq.list()!.count == kept.count * 2)
        #expect(try spoof.list()!.map(\.owner) == kept)
    }

    @Test func removingAnUnknownOwnerOrBeforeAnyAddIsANoOp() throws {
        let fake = NFTablesFake()
        try PodMasquerade(fake).remove(owner: "x/eth0")
        try MACSpoofCheck(fake).remove(owner: "x/eth0")
        try PodMasquerade(fake).gc(validOwners: [])
        #expect(fake.description == "")
    }

    @Test func gcOfOneNetworkLeavesOtherNetworksAlone() throws {
        let fake = NFTablesFake()
        let masq = PodMasquerade(fake), spoof = MACSpoofCheck(fake)
        try masq.add(addresses: [IPPrefix("10.1.0.5/24")!], network: "a", owner: "c1/eth0")
        try masq.add(addresses: [IPPrefix("10.2.0.5/24")!], network: "b", owner: "c1/net1")
        try spoof.add(hostInterface: "veth1", mac: MACAddress("02:00:00:00:00:01")!, network: "a", owner: "c1/eth0")
        try spoof.add(hostInterface: "veth2", mac: MACAddress("02:00:00:00:00:02")!, network: "b", owner: "c1/net1")
        // GC of network a with nothing valid: only a's entries go.
        #expect(try masq.gc(network: "a", validOwners: []).map(\.owner) == ["c1/eth0"])
        #expect(try spoof.gc(network: "a", validOwners: []).map(\.owner) == ["c1/eth0"])
        #expect(try masq.list()?.map(\.network) == ["b"])
        #expect(try spoof.list()?.map(\.network) == ["b"])
        // A valid owner is kept.
        #expect(try masq.gc(network: "b", validOwners: ["c1/net1"]).isEmpty)
        #expect(try masq.list()?.count == 1)
    }

    @Test func spoofCheckSetupIsOneRuleAndPairsOfElements() throws {
        let fake = NFTablesFake()
        let spoof = MACSpoofCheck(fake)
        try spoof.add(hostInterface: "veth1", mac: MACAddress("02:00:00:00:00:01")!, owner: "c1/eth0")
        #expect(fake.rules(MACSpoofCheck.chain)?.count == 1)
        #expect(fake.description == """
            table bridge trellis_cni_spoof
              chain prerouting: 1 rules
              set allowed
                "veth1" . 02:00:00:00:00:01 comment "c1/eth0 -"
              set ifaces
                "veth1" comment "c1/eth0 -"
            """)
        #expect(throws: (any Error).self) {
            try spoof.add(hostInterface: "this-name-is-too-long", mac: MACAddress("02:00:00:00:00:02")!, owner: "c2/eth0")
        }
    }
}
