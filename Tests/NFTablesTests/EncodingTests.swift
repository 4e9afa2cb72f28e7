import Testing
import NetAddr
@testable import NFTables

@Suite("NFTables encoding (pure)")
struct EncodingTests {
    static let t = Table(.inet, "trellis_test")

    @Test func concatenatedKeyTypeAndLength() {
        let s = NFTSet(table: Self.t, name: "pairs", key: [.ipv4Address, .ipv4Address], flags: .interval)
        #expect(s.keyTypeID == 7 << 6 | 7)
        #expect(s.keyLength == 8)
        let m = NFTSet(table: Self.t, name: "allowed", key: [.ifname, .etherAddress])
        #expect(m.keyLength == 24)  // 16 + 6 padded to 8
        #expect(m.keyTypeID == 41 << 6 | 9)
    }

    @Test(arguments: [
        (ElementField.ifname("veth1"), [0x76, 0x65, 0x74, 0x68, 0x31] + [UInt8](repeating: 0, count: 11)),
        (.ether(MACAddress("02:00:00:00:00:01")!), [2, 0, 0, 0, 0, 1, 0, 0]),
        (.port(443), [1, 187, 0, 0]),
        (.proto(6), [6, 0, 0, 0]),
        (.address(IPAddress("10.1.0.5")!), [10, 1, 0, 5]),
    ])
    func fieldBytesArePaddedToRegisters(field: ElementField, bytes: [UInt8]) {
        #expect(SetElement([field]).key == bytes)
    }

    @Test func prefixFieldGivesKeyAndKeyEnd() {
        let e = SetElement([.address(IPAddress("10.1.0.5")!), .prefix(IPPrefix("10.1.0.0/24")!)])
        #expect(e.key == [10, 1, 0, 5, 10, 1, 0, 0])
        #expect(e.keyEnd == [10, 1, 0, 5, 10, 1, 0, 255])
        let s = NFTSet(table: Self.t, name: "pairs", key: [.ipv4Address, .ipv4Address], flags: .interval)
        let wire = e.wireElements(in: s)
        #expect(wire.count == 1 && wire[0].keyEnd == e.keyEnd)
    }

    @Test func singleFieldIntervalUsesIntervalEndElement() {
        let s = NFTSet(table: Self.t, name: "nets", key: [.ipv4Address], flags: .interval)
        let wire = SetElement([.prefix(IPPrefix("224.0.0.0/4")!)]).wireElements(in: s)
        #expect(wire.map(\.key) == [[224, 0, 0, 0], [240, 0, 0, 0]])
        #expect(wire.map(\.intervalEnd) == [false, true])
        // A range reaching the top of the key space has no end element.
        #expect(SetElement([.prefix(IPPrefix("240.0.0.0/4")!)]).wireElements(in: s).count == 1)
    }

    @Test func commentUserdataRoundTrips() {
        let e = SetElement([.proto(6)], comment: "abc/eth0 net1")
        #expect(e.userdata == [0, 14] + Array("abc/eth0 net1".utf8) + [0])
        #expect(SetElement.comment(fromUserdata: e.userdata!) == "abc/eth0 net1")
    }

    @Test func rbtreeDumpIsPairedBackIntoPrefixes() {
        let s = NFTSet(table: Self.t, name: "nets", key: [.ipv4Address], flags: .interval)
        let raw = [RawElement(key: [240, 0, 0, 0], intervalEnd: true), RawElement(key: [224, 0, 0, 0]),
                   RawElement(key: [10, 0, 0, 6], intervalEnd: true), RawElement(key: [10, 0, 0, 5])]
        #expect(RawElement.decode(raw, in: s).map(\.keyDescription) == ["10.0.0.5", "224.0.0.0/4"])
    }

    @Test func batchIsBeginMessagesEndWithConsecutiveSeqsAndAcks() throws {
        var b = Batch()
        b.addTable(Self.t)
        b.addChain(Chain(table: Self.t, name: "post",
                         base: BaseChain(type: .nat, hook: .postrouting, priority: BaseChain.prioritySrcNAT)))
        b.addRule(Chain(table: Self.t, name: "post"), [.meta(.nfproto), .cmp(.eq, data: [2]), .masquerade])
        let enc = try b.encode(firstSeq: 100)
        let msgs = Reply.split(enc.bytes[...])
        #expect(msgs.map(\.seq) == [100, 101, 102, 103, 104])
        // NFNL_MSG_BATCH_BEGIN/END, then (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*.
        #expect(msgs.map(\.type) == [0x10, 0x0a00, 0x0a03, 0x0a06, 0x11])
        #expect(msgs.dropFirst().dropLast().allSatisfy { $0.flags & 0x4 != 0 })  // NLM_F_ACK
        #expect(enc.operationBySeq == [101: 0, 102: 1, 103: 2])
    }

    @Test func badInputIsRejectedBeforeSending() {
        var b = Batch()
        b.addTable(Self.t)
        b.addElements(NFTSet(table: Self.t, name: "s", key: [.ipv4Address]),
                      [SetElement([.prefix(IPPrefix("10.0.0.0/8")!)])])  // interval into a plain set
        #expect(throws: NFTablesError("NFT_MSG_NEWSETELEM", "inet trellis_test s 10.0.0.0/8", errno: 22, operationIndex: 1)) {
            try b.encode(firstSeq: 1)
        }
    }

    @Test func errorDescriptionKeepsFacts() {
        let e = NFTablesError("NFT_MSG_NEWSETELEM", "inet trellis_cni masq4 10.1.0.5", errno: 17)
        #expect(e.description == "NFT_MSG_NEWSETELEM inet trellis_cni masq4 10.1.0.5: File exists")
    }
}
