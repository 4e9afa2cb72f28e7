import CNI
import IPAM
import NetAddr
import Testing

/// ADDs `count` attachments `c0/eth0`, `c1/eth0`, … and returns each ADD's addresses.
private func addMany(_ allocator: Allocator, _ count: Int, state: inout AllocationState,
                     from first: Int = 0) throws -> [[String]] {
    try (first..<first + count).map { i in
        try allocator.allocate(for: ContainerAttachment(containerID: "c\(i)", ifName: "eth0"), in: &state).map { "\($0.address)" }
    }
}

private func attachment(_ i: Int) -> ContainerAttachment { ContainerAttachment(containerID: "c\(i)", ifName: "eth0") }

@Suite struct AllocatorTests {
    struct OrderCase: CustomTestStringConvertible, Sendable {
        var label: String
        var ipam: String
        var expected: [[String]]
        /// Whether one more ADD must find the set exhausted.
        var thenExhausted = false
        var testDescription: String { label }
    }

    static let orders: [OrderCase] = [
        .init(label: "IPv4 /24", ipam: rangesJSON([["10.1.0.0/24"]]),
              expected: [["10.1.0.2/24"], ["10.1.0.3/24"], ["10.1.0.4/24"], ["10.1.0.5/24"]]),
        .init(label: "IPv4 /30 has one address", ipam: rangesJSON([["10.1.0.0/30"]]),
              expected: [["10.1.0.2/30"]], thenExhausted: true),
        .init(label: "IPv4 /29 with gateway in the middle hands out .1",
              ipam: #"{"ranges":[[{"subnet":"10.1.0.0/29","gateway":"10.1.0.3"}]]}"#,
              expected: [["10.1.0.1/29"], ["10.1.0.2/29"], ["10.1.0.4/29"], ["10.1.0.5/29"], ["10.1.0.6/29"]],
              thenExhausted: true),
        .init(label: "explicit span over network and broadcast skips them",
              ipam: #"{"ranges":[[{"subnet":"10.1.0.0/29","rangeStart":"10.1.0.0","rangeEnd":"10.1.0.7"}]]}"#,
              expected: [["10.1.0.2/29"], ["10.1.0.3/29"], ["10.1.0.4/29"], ["10.1.0.5/29"], ["10.1.0.6/29"]],
              thenExhausted: true),
        .init(label: "IPv6 /64", ipam: rangesJSON([["fd00:10::/64"]]),
              expected: [["fd00:10::2/64"], ["fd00:10::3/64"], ["fd00:10::4/64"]]),
        .init(label: "IPv6 /126 uses the last address (no broadcast)", ipam: rangesJSON([["fd00::/126"]]),
              expected: [["fd00::2/126"], ["fd00::3/126"]], thenExhausted: true),
        .init(label: "dual-stack: one address per range set, in set order",
              ipam: rangesJSON([["10.1.0.0/24"], ["fd00::/120"]]),
              expected: [["10.1.0.2/24", "fd00::2/120"], ["10.1.0.3/24", "fd00::3/120"]]),
        .init(label: "legacy subnet", ipam: #"{"subnet":"192.168.7.0/24"}"#,
              expected: [["192.168.7.2/24"], ["192.168.7.3/24"]]),
        .init(label: "several ranges in one set are walked in order",
              ipam: #"""
                {"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.11"},
                            {"subnet":"10.2.0.0/16","rangeStart":"10.2.0.20","rangeEnd":"10.2.0.21"}]]}
                """#,
              expected: [["10.1.0.10/24"], ["10.1.0.11/24"], ["10.2.0.20/16"], ["10.2.0.21/16"]],
              thenExhausted: true),
        .init(label: "two disjoint spans of one subnet",
              ipam: #"""
                {"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.100","rangeEnd":"10.1.0.100"},
                            {"subnet":"10.1.0.0/24","rangeStart":"10.1.0.1","rangeEnd":"10.1.0.2"}]]}
                """#,
              expected: [["10.1.0.100/24"], ["10.1.0.2/24"]], thenExhausted: true),
    ]

    @Test(arguments: orders)
    func freshStoreOrder(_ c: OrderCase) throws {
        let allocator = Allocator(config: try ipamConfig(c.ipam))
        var state = AllocationState()
        #expect(try addMany(allocator, c.expected.count, state: &state) == c.expected)
        if c.thenExhausted {
            let before = state
            let e = cniError { _ = try addMany(allocator, 1, state: &state, from: 1000) }
            #expect(e?.code == CNIError.rangeExhausted)
            #expect(state == before)
        }
    }

    @Test func slash120ExhaustsAfter254() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["fd00::/120"]])))
        var state = AllocationState()
        let got = try addMany(allocator, 254, state: &state).map { $0[0] }
        #expect(got.first == "fd00::2/120")
        #expect(got.last == "fd00::ff/120")
        #expect(Set(got).count == 254)
        let e = cniError { _ = try addMany(allocator, 1, state: &state, from: 254) }
        #expect(e == CNIError(100, "network testnet: no free address in range set 0 (fd00::1-fd00::ff)"))
    }

    @Test func roundRobinContinuesAfterLastReserved() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/29"]])))  // .2 … .6
        var state = AllocationState()
        _ = try addMany(allocator, 3, state: &state)                                       // .2 .3 .4
        #expect(allocator.release(attachment(1), in: &state).map { "\($0.ip)" } == ["10.1.0.3"])
        #expect(try addMany(allocator, 2, state: &state, from: 10) == [["10.1.0.5/29"], ["10.1.0.6/29"]])
        // Past rangeEnd the walk wraps: .1 is the gateway, .2 is taken, .3 was freed.
        #expect(try addMany(allocator, 1, state: &state, from: 20) == [["10.1.0.3/29"]])
        #expect(state.lastReserved == [0: ip("10.1.0.3")])
    }

    @Test func cursorOutsideTheSetRestartsAtRangeStart() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"]])))
        var state = AllocationState(lastReserved: [0: ip("10.9.9.9")])   // the config changed
        #expect(try addMany(allocator, 1, state: &state) == [["10.1.0.2/24"]])
    }

    @Test func requestedAddresses() throws {
        let config = try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/64"]]))
        let allocator = Allocator(config: config)
        var state = AllocationState()
        let got = try allocator.allocate(for: attachment(0), requested: [ip("10.1.0.50")], in: &state)
        #expect(got == [CNIResult.IPConfig(address: IPPrefix("10.1.0.50/24")!, gateway: ip("10.1.0.1")),
                        CNIResult.IPConfig(address: IPPrefix("fd00::2/64")!, gateway: ip("fd00::1"))])
        // A requested address moves the round-robin cursor, as host-local's Reserve does.
        #expect(try addMany(allocator, 1, state: &state, from: 1) == [["10.1.0.51/24", "fd00::3/64"]])
    }

    struct RequestCase: CustomTestStringConvertible, Sendable {
        var label: String
        var requested: [String]
        var error: CNIError
        var testDescription: String { label }
    }

    @Test(arguments: [
        RequestCase(label: "taken", requested: ["10.1.0.2"],
                    error: CNIError(11, "network testnet: requested IP 10.1.0.2 is in use by c0/eth0")),
        RequestCase(label: "outside every set", requested: ["10.2.0.9"],
                    error: CNIError(7, "network testnet: requested IP 10.2.0.9 is not in any range set (10.1.0.1-10.1.0.254)")),
        RequestCase(label: "gateway", requested: ["10.1.0.1"],
                    error: CNIError(7, "network testnet: requested IP 10.1.0.1 is a gateway, network or broadcast address")),
        RequestCase(label: "two in one set", requested: ["10.1.0.7", "10.1.0.8"],
                    error: CNIError(7, "network testnet: requested IPs 10.1.0.7 and 10.1.0.8 are both in range set 0 (10.1.0.1-10.1.0.254); one address per range set")),
    ])
    func requestedAddressRejected(_ c: RequestCase) throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"]])))
        var state = AllocationState()
        _ = try addMany(allocator, 1, state: &state)
        let before = state
        let e = cniError { _ = try allocator.allocate(for: attachment(5), requested: c.requested.map(ip), in: &state) }
        #expect(e == c.error)
        #expect(state == before)
    }

    @Test func exhaustedSecondSetKeepsNothingFromTheFirst() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/126"]])))
        var state = AllocationState()
        _ = try addMany(allocator, 2, state: &state)
        let before = state
        let e = cniError { _ = try addMany(allocator, 1, state: &state, from: 2) }
        #expect(e == CNIError(100, "network testnet: no free address in range set 1 (fd00::1-fd00::3)"))
        #expect(state == before)
    }

    @Test func retriedAddReturnsTheSameAddresses() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/64"]])))
        var state = AllocationState()
        let first = try allocator.allocate(for: attachment(0), in: &state)
        let before = state
        #expect(try allocator.allocate(for: attachment(0), in: &state) == first)
        #expect(try allocator.allocate(for: attachment(0), requested: [ip("10.1.0.2")], in: &state) == first)
        #expect(state == before)
        let e = cniError { _ = try allocator.allocate(for: attachment(0), requested: [ip("10.1.0.9")], in: &state) }
        #expect(e == CNIError(4, "network testnet: c0/eth0 already holds 10.1.0.2, fd00::2; DEL it before another ADD"))
        // Another interface of the same container is another attachment.
        let eth1 = try allocator.allocate(for: ContainerAttachment(containerID: "c0", ifName: "eth1"), in: &state)
        #expect(eth1.map { "\($0.address)" } == ["10.1.0.3/24", "fd00::3/64"])
    }

    @Test func partialHoldingIsADuplicate() throws {
        // The attachment holds only an IPv4 address (the config gained an IPv6 set since).
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/64"]])))
        var state = AllocationState(allocations: [Allocation(ip: ip("10.1.0.2"), attachment: attachment(0))])
        let e = cniError { _ = try allocator.allocate(for: attachment(0), in: &state) }
        #expect(e?.code == CNIError.invalidEnvironment)
    }

    @Test func releaseIsIdempotent() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/64"]])))
        var state = AllocationState()
        _ = try addMany(allocator, 2, state: &state)
        #expect(allocator.release(attachment(0), in: &state).count == 2)
        let after = state
        #expect(allocator.release(attachment(0), in: &state).isEmpty)
        #expect(allocator.release(ContainerAttachment(containerID: "never", ifName: "eth0"), in: &state).isEmpty)
        #expect(state == after)
        #expect(state.description == """
            10.1.0.3 c1 eth0
            fd00::3 c1 eth0
            last[0] 10.1.0.3
            last[1] fd00::3
            """)
    }

    @Test func gcKeepsValidAndFreesTheRest() throws {
        let allocator = Allocator(config: try ipamConfig(rangesJSON([["10.1.0.0/24"]])))
        var state = AllocationState()
        _ = try addMany(allocator, 4, state: &state)
        let released = allocator.collectGarbage(keeping: [attachment(1), attachment(3), attachment(9)], in: &state)
        #expect(released.map(\.description) == ["10.1.0.2 c0 eth0", "10.1.0.4 c2 eth0"])
        #expect(state.allocations.map(\.description) == ["10.1.0.3 c1 eth0", "10.1.0.5 c3 eth0"])
        #expect(allocator.collectGarbage(keeping: [], in: &state).count == 2)
        #expect(state.allocations.isEmpty)
    }

    @Test func stateRoundTripsAndRejectsDuplicates() throws {
        let state = AllocationState(allocations: [Allocation(ip: ip("fd00::2"), containerID: "b", ifName: "eth0"),
                                                  Allocation(ip: ip("10.1.0.2"), containerID: "a", ifName: "eth0")],
                                    lastReserved: [0: ip("10.1.0.2"), 1: ip("fd00::2")])
        let bytes = state.encoded()
        #expect(String(decoding: bytes, as: UTF8.self) == #"""
            {"allocations":[{"containerID":"a","ifName":"eth0","ip":"10.1.0.2"},{"containerID":"b","ifName":"eth0","ip":"fd00::2"}],"lastReserved":{"0":"10.1.0.2","1":"fd00::2"},"version":1}

            """#)
        #expect(try AllocationState(decoding: bytes) == state)
        let twice = #"{"allocations":[{"containerID":"a","ifName":"eth0","ip":"10.1.0.2"},{"containerID":"b","ifName":"eth0","ip":"10.1.0.2"}],"lastReserved":{},"version":1}"#
        #expect(throws: StateFileError.self) { try AllocationState(decoding: Array(twice.utf8)) }
        #expect(throws: StateFileError.self) { try AllocationState(decoding: Array(#"{"allocations":[],"lastRes"#.utf8)) }
    }
}
