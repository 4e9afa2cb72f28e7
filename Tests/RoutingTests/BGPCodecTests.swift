import NetAddr
import Routing
import Testing

func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { $0.isHexDigit }
    return stride(from: 0, to: digits.count, by: 2).map {
        UInt8(digits[digits.index(digits.startIndex, offsetBy: $0)...].prefix(2), radix: 16)!
    }
}

let marker = String(repeating: "ff", count: 16)

@Suite struct BGPCodecTests {
    let open = BGPOpen(asn: 4_200_000_001, holdTime: 90, identifier: IPv4Address("10.50.0.11")!,
                       capabilities: [.multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .fourOctetAS(4_200_000_001)])

    @Test func keepaliveBytes() throws {
        #expect(BGPMessage.keepalive.encoded() == hex(marker + "0013 04"))
        #expect(try BGPMessage.decode(hex(marker + "0013 04")) == .keepalive)
    }

    @Test func openWithFourOctetASBytes() throws {
        let bytes = hex(marker + "0039 01" + "04 5ba0 005a 0a32000b" + "1c"  // version, AS_TRANS, hold 90, id, params length 28
            + "02 06 01 04 0001 00 01"      // multiprotocol IPv4 unicast
            + "02 06 01 04 0002 00 01"      // multiprotocol IPv6 unicast
            + "02 02 02 00"                 // route refresh
            + "02 06 41 04 fa56ea01")       // 4-octet AS 4200000001
        #expect(BGPMessage.open(open).encoded() == bytes)
        let decoded = try BGPMessage.decode(bytes)
        #expect(decoded == .open(open))
        guard case .open(let o) = decoded else { return }
        #expect(o.effectiveASN == 4_200_000_001)
        #expect(o.families == [.ipv4Unicast, .ipv6Unicast])
    }

    @Test func updateAnnouncingAnIPv4PodCIDRBytes() throws {
        let update = BGPUpdate.announce([IPPrefix("10.244.1.0/24")!], nextHop: IPAddress("10.50.0.11")!, asPath: [4_200_000_001], localPref: nil)
        let bytes = hex(marker + "002f 02" + "0000" + "0014"
            + "40 01 01 00"                   // ORIGIN IGP
            + "40 02 06 02 01 fa56ea01"       // AS_PATH sequence [4200000001]
            + "40 03 04 0a32000b"             // NEXT_HOP 10.50.0.11
            + "18 0af401")                    // NLRI 10.244.1.0/24
        #expect(BGPMessage.update(update).encoded() == bytes)
        #expect(try BGPMessage.decode(bytes) == .update(update))
        #expect(update.announced.map { "\($0.prefix) via \($0.nextHop)" } == ["10.244.1.0/24 via 10.50.0.11"])
    }

    @Test func ipv6GoesInMPReachAndRoundTrips() throws {
        let update = BGPUpdate.announce([IPPrefix("fd10:244:1::/64")!, IPPrefix("fd10:244:9::/48")!], nextHop: IPAddress("fd50::11")!,
                                        asPath: [], localPref: 100)
        let bytes = BGPMessage.update(update).encoded()
        #expect(try BGPMessage.decode(bytes) == .update(update))
        #expect(update.announced.count == 2)
        let withdraw = BGPUpdate.withdraw([IPPrefix("fd10:244:1::/64")!])
        #expect(try BGPMessage.decode(BGPMessage.update(withdraw).encoded()) == .update(withdraw))
        #expect(withdraw.allWithdrawn == [IPPrefix("fd10:244:1::/64")!])
    }

    @Test func twoOctetASPathsWhenThePeerLacksTheCapability() throws {
        let update = BGPUpdate.announce([IPPrefix("10.1.0.0/16")!], nextHop: IPAddress("10.0.0.1")!, asPath: [65001, 4_200_000_001], localPref: nil)
        let bytes = BGPMessage.update(update).encoded(fourOctetAS: false)
        guard case .update(let u) = try BGPMessage.decode(bytes, fourOctetAS: false) else { Issue.record("not an update"); return }
        #expect(u.attributes[1] == .asPath([.sequence([65001, 23456])]))
    }

    @Test(arguments: [
        (String(repeating: "fe", count: 16) + "0013 04", UInt8(1), UInt8(1)),
        (marker + "0012 04", 1, 2),
        (marker + "0013 09", 1, 3),
        (marker + "0014 04 00", 1, 2),
        (marker + "001d 01 03 fde8 005a 0a000001 00", 2, 1),
        (marker + "001d 01 04 fde8 0001 0a000001 00", 2, 6),
        (marker + "0017 02 0000 0004", 3, 1),
    ])
    func malformedInputGetsTheRightNotification(input: String, code: UInt8, subcode: UInt8) {
        do {
            _ = try BGPMessage.decode(hex(input))
            Issue.record("decoded \(input)")
        } catch {
            #expect(error.notification.code == code && error.notification.subcode == subcode, "\(error)")
        }
    }
}

@Suite struct BGPSessionStateMachineTests {
    let config = BGPSessionStateMachine.Configuration(localASN: 4_200_000_001, routerID: IPv4Address("10.50.0.11")!, peerASN: 64512, holdTime: 90)
    let peerOpen = BGPOpen(asn: 64512, holdTime: 30, identifier: IPv4Address("10.50.0.2")!, capabilities: [.multiprotocol(.ipv4Unicast), .fourOctetAS(64512)])

    @Test func reachesEstablishedAndNegotiatesTheHoldTime() {
        var fsm = BGPSessionStateMachine(config)
        let first = fsm.connected()
        #expect(first == [.send(.open(fsm.open)), .armHoldTimer(seconds: 240)])
        #expect(fsm.received(.open(peerOpen)) == [.send(.keepalive), .armHoldTimer(seconds: 30), .armKeepaliveTimer(seconds: 10)])
        #expect(fsm.state == .openConfirm)
        #expect(fsm.received(.keepalive) == [.armHoldTimer(seconds: 30), .established(peer: peerOpen)])
        #expect(fsm.state == .established)
        #expect(fsm.keepaliveTimerFired() == [.send(.keepalive), .armKeepaliveTimer(seconds: 10)])
        let u = BGPUpdate.withdraw([IPPrefix("10.9.0.0/16")!])
        #expect(fsm.received(.update(u)) == [.armHoldTimer(seconds: 30), .update(u)])
    }

    @Test func refusesTheWrongPeerAS() {
        var fsm = BGPSessionStateMachine(config)
        _ = fsm.connected()
        var wrong = peerOpen
        wrong.capabilities = [.fourOctetAS(64999)]
        let actions = fsm.received(.open(wrong))
        #expect(actions.first == .send(.notification(BGPNotification(code: 2, subcode: 2))))
        #expect(actions.contains(.closeConnection))
        #expect(fsm.state == .idle)
    }

    @Test func unexpectedMessagesAndTimersEndTheSession() {
        var fsm = BGPSessionStateMachine(config)
        _ = fsm.connected()
        _ = fsm.received(.open(peerOpen))
        #expect(fsm.received(.update(BGPUpdate())).first == .send(.notification(BGPNotification(code: 5, subcode: 2))))
        var other = BGPSessionStateMachine(config)
        _ = other.connected()
        #expect(other.holdTimerExpired().first == .send(.notification(.holdTimerExpired)))
        #expect(other.holdTimerExpired() == [])
    }
}
