import Foundation
import Testing
import NetAddr
import NetNS
import NFTables
import TestSupport

/// `nft -j list …` inside a namespace, decoded.
func nftJSON(_ ns: ScratchNamespace, _ args: [String]) throws -> [[String: Any]] {
    let out = try ns.run(["nft", "-j", "list"] + args).stdout
    let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    return (obj?["nftables"] as? [[String: Any]]) ?? []
}

@Suite("NFTables against the kernel", .enabled(if: isRoot, "needs root for network namespaces"))
struct KernelTests {
    static let table = Table(.inet, "trellis_t")
    static let chain = Chain(table: table, name: "post",
                             base: BaseChain(type: .nat, hook: .postrouting, priority: BaseChain.prioritySrcNAT))
    static let pairs = NFTSet(table: table, name: "pairs", key: [.ipv4Address, .ipv4Address], flags: .interval)
    static let nets = NFTSet(table: table, name: "nets", key: [.ipv4Address], flags: .interval)
    static let ports = NFTSet(table: table, name: "ports", key: [.inetProto, .inetService])
    static let vmap = NFTSet(table: table, name: "dispatch", key: [.ipv6Address], isVerdictMap: true)

    func setup() -> Batch {
        var b = Batch()
        b.addTable(Self.table)
        b.addChain(Self.chain)
        b.addChain(Chain(table: Self.table, name: "sub"))
        for s in [Self.pairs, Self.nets, Self.ports, Self.vmap] { b.addSet(s) }
        b.addRule(Self.chain, Expression.nfproto(.v4) + [
            .payload(.ipSource), .payload(.ipDestination, register: 1), .lookup(set: "pairs"), .verdict(.accept)])
        b.addRule(Self.chain, Expression.nfproto(.v4) + Expression.address(.destination, in: IPPrefix("224.0.0.0/4")!)
                  + [.counter, .verdict(.accept)])
        b.addRule(Self.chain, Expression.nfproto(.v6) + [.payload(.ip6Source), .verdictMap(set: "dispatch")])
        b.addRule(Self.chain, [.verdict(.jump("sub"))])
        return b
    }

    @Test func tablesChainsSetsAndElementsAreVisibleToNft() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        #expect(try nft.tableExists(Self.table) == false)
        var b = setup()
        let pair = SetElement([.address(IPAddress("10.1.0.5")!), .prefix(IPPrefix("10.1.0.0/24")!)], comment: "c1/eth0 net")
        b.addElements(Self.pairs, [pair])
        b.addElements(Self.nets, [SetElement([.prefix(IPPrefix("192.168.0.0/16")!)]), SetElement([.address(IPAddress("10.9.9.9")!)])])
        b.addElements(Self.ports, [SetElement([.proto(6), .port(443)])])
        b.addElements(Self.vmap, [SetElement([.address(IPAddress("fd00::5")!)], verdict: .jump("sub"))])
        try nft.apply(b)
        #expect(try nft.tableExists(Self.table))

        let listed = try nftJSON(ns, ["table", "inet", "trellis_t"])
        let sets = listed.compactMap { $0["set"] as? [String: Any] } + listed.compactMap { $0["map"] as? [String: Any] }
        #expect(Set(sets.compactMap { $0["name"] as? String }) == ["pairs", "nets", "ports", "dispatch"])
        let pairsJSON = try #require(sets.first { $0["name"] as? String == "pairs" })
        #expect(pairsJSON["type"] as? [String] == ["ipv4_addr", "ipv4_addr"])
        let text = try ns.run(["nft", "list", "table", "inet", "trellis_t"]).stdout
        #expect(text.contains("10.1.0.5 . 10.1.0.0/24 comment \"c1/eth0 net\""))
        #expect(text.contains("type nat hook postrouting priority srcnat"))
        #expect(text.contains("ip daddr 224.0.0.0/4 counter packets 0 bytes 0 accept"))
        #expect(text.contains("ip6 saddr vmap @dispatch"))
        #expect(text.contains("fd00::5 : jump sub"))
        #expect(text.contains("tcp . 443") || text.contains("6 . 443"))

        #expect(try nft.elements(of: Self.pairs) == [pair])
        #expect(Set(try nft.elements(of: Self.nets).map(\.keyDescription)) == ["192.168.0.0/16", "10.9.9.9"])
        #expect(try nft.elements(of: Self.vmap).first?.verdict == .jump("sub"))

        // Adding again is not an error; destroy of a missing element is not either.
        try nft.apply(Batch([.addElements(Self.pairs, [pair])]))
        try nft.apply(Batch([.destroyElements(Self.pairs, [pair]), .destroyElements(Self.pairs, [pair])]))
        #expect(try nft.elements(of: Self.pairs).isEmpty)
        // A plain delete of a missing element reports ENOENT.
        let e = #expect(throws: NFTablesError.self) { try nft.apply(Batch([.deleteElements(Self.pairs, [pair])])) }
        #expect(e?.isNotFound == true && e?.operation == "NFT_MSG_DELSETELEM")

        try nft.apply(Batch([.deleteTable(Self.table)]))
        #expect(try nft.tableExists(Self.table) == false)
    }

    @Test func aBatchWhoseLastOperationFailsAppliesNothing() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        var b = setup()
        b.addElements(Self.pairs, [SetElement([.address(IPAddress("10.1.0.5")!), .prefix(IPPrefix("10.1.0.0/24")!)])])
        let missing = NFTSet(table: Self.table, name: "nosuchset", key: [.ipv4Address])
        b.addElements(missing, [SetElement([.address(IPAddress("10.1.0.7")!)])])
        let e = try #require(#expect(throws: NFTablesError.self) { try nft.apply(b) })
        #expect(e.operation == "NFT_MSG_NEWSETELEM")
        #expect(e.object == "inet trellis_t nosuchset 10.1.0.7")
        #expect(e.errno == ENOENT)
        #expect(e.operationIndex == b.operations.count - 1)
        #expect(try nft.tableExists(Self.table) == false)
        #expect(try ns.run(["nft", "list", "ruleset"]).stdout.isEmpty)
    }

    @Test func deletingAMissingTableIsNotFound() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        let e = #expect(throws: NFTablesError.self) { try nft.apply(Batch([.deleteTable(Table(.inet, "absent"))])) }
        #expect(e?.isNotFound == true)
        #expect(e?.description == "NFT_MSG_DELTABLE inet absent: No such file or directory")
        #expect(throws: NFTablesError.self) { try nft.elements(of: Self.pairs) }
    }

    @Test func manyElementsInOneBatch() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        let plain = NFTSet(table: Self.table, name: "ips", key: [.ipv4Address])
        var b = Batch([.addTable(Self.table), .addSet(plain)])
        let elements = (0..<2000).map { SetElement([.address(IPAddress(family: .v4, integer: 0x0a00_0000 + UInt128($0)))]) }
        for e in elements { b.addElements(plain, [e]) }  // 2000 messages, 2000 ACKs
        try nft.apply(b)
        #expect(try nft.elements(of: plain).count == 2000)
    }

    @Test func aFailureInTheMiddleIsNamedAndTheRestIsStillAcknowledged() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        let plain = NFTSet(table: Self.table, name: "ips", key: [.ipv4Address])
        let x = SetElement([.address(IPAddress("10.0.0.1")!)]), y = SetElement([.address(IPAddress("10.0.0.2")!)])
        var b = Batch([.addTable(Self.table), .addSet(plain), .deleteElements(plain, [x]), .addElements(plain, [y])])
        b.addChain(Chain(table: Self.table, name: "later"))
        b.deleteTable(Table(.ip, "absent"))  // a second failure: the first one is reported
        let e = try #require(#expect(throws: NFTablesError.self) { try nft.apply(b) })
        #expect(e.description == "NFT_MSG_DELSETELEM inet trellis_t ips 10.0.0.1: No such file or directory")
        #expect(e.operationIndex == 2)
        #expect(try nft.tableExists(Self.table) == false)
        // The connection is still in step: the next transaction gets its own answers.
        try nft.apply(Batch([.addTable(Self.table), .addSet(plain), .addElements(plain, [y])]))
        #expect(try nft.elements(of: plain) == [y])
    }

    @Test func timeoutsAndConstantSets() throws {
        let ns = try ScratchNamespace("nft")
        let nft = try NFTablesConnection(in: ns.netns)
        let recent = NFTSet(table: Self.table, name: "recent", key: [.ipv4Address], flags: .timeout, timeoutMilliseconds: 3_600_000)
        let fixed = NFTSet(table: Self.table, name: "fixed", key: [.ifname], flags: .constant)
        try nft.apply(Batch([
            .addTable(Self.table), .addSet(recent), .addSet(fixed),
            .addElements(recent, [SetElement([.address(IPAddress("10.0.0.1")!)], timeoutMilliseconds: 60_000)]),
            .addElements(fixed, [SetElement([.ifname("eth0")])]),
            .addChain(Chain(table: Self.table, name: "uses")),
            .addRule(Rule(chain: Chain(table: Self.table, name: "uses"),
                          expressions: [.meta(.iifname), .lookup(set: "fixed"), .verdict(.accept)])),
        ]))
        let text = try ns.run(["nft", "list", "table", "inet", "trellis_t"]).stdout
        #expect(text.contains("timeout 1h"), "\(text)")
        #expect(text.contains("10.0.0.1 timeout 1m expires"), "\(text)")
        #expect(text.contains("flags constant"), "\(text)")
        // A constant set refuses changes once a rule uses it (EBUSY).
        let e = #expect(throws: NFTablesError.self) {
            try nft.apply(Batch([.addElements(fixed, [SetElement([.ifname("eth1")])])]))
        }
        #expect(e?.errno == EBUSY)
    }

    /// The fake must fail the same operations with the same errno as the kernel.
    @Test func theFakeAgreesWithTheKernel() throws {
        let ns = try ScratchNamespace("nft")
        let kernel = try NFTablesConnection(in: ns.netns)
        let fake = NFTablesFake()
        let plain = NFTSet(table: Self.table, name: "ips", key: [.ipv4Address])
        let x = SetElement([.address(IPAddress("10.0.0.1")!)])
        let batches: [Batch] = [
            Batch([.deleteTable(Self.table)]),
            setup(),
            setup(),  // again: adds without NLM_F_EXCL
            Batch([.addSet(plain), .addElements(plain, [x]), .addElements(plain, [x])]),
            Batch([.deleteElements(plain, [x]), .deleteElements(plain, [x])]),
            Batch([.destroyElements(plain, [x]), .addRule(Rule(chain: Chain(table: Self.table, name: "nochain"), expressions: [.counter]))]),
            Batch([.addRule(Rule(chain: Chain(table: Self.table, name: "sub"), expressions: [.verdict(.jump("nochain"))]))]),
            Batch([.addSet(NFTSet(table: Self.table, name: "ips", key: [.ipv6Address]))]),  // redefined: EEXIST
            Batch([.flushChain(Self.chain), .deleteSet(plain), .deleteTable(Self.table)]),
        ]
        for (i, b) in batches.enumerated() {
            var kernelError: NFTablesError?, fakeError: NFTablesError?
            do { try kernel.apply(b) } catch { kernelError = error }
            do { try fake.apply(b) } catch { fakeError = error }
            #expect(kernelError == fakeError, "batch \(i)")
            #expect(try kernel.tableExists(Self.table) == fake.tableExists(Self.table), "batch \(i)")
        }
    }
}
