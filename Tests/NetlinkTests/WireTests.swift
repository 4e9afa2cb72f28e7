import NetAddr
import NetNS
@testable import Netlink
import Testing

/// Requests against hand-decoded golden bytes, and parse(encode(x)) == x. No kernel needed.
struct WireTests {
    static let RTM_NEWADDR: Int32 = 20, RTM_NEWROUTE: Int32 = 24, RTM_NEWNEIGH: Int32 = 28
    static let NLM_F_EXCL: Int32 = 0x200, NLM_F_CREATE: Int32 = 0x400

    @Test func routeAddGoldenBytes() {
        let route = Route(destination: IPPrefix("10.0.0.0/24")!, gateway: IPAddress("10.0.0.1")!, outputIndex: 3,
                          isOnLink: true, table: 100, metric: 5, mtu: 1400)
        let bytes = encodeRequest(type: Self.RTM_NEWROUTE, flags: Self.NLM_F_CREATE | Self.NLM_F_EXCL) { route.encode($0) }
        let golden: [UInt8] = [
            0x50, 0, 0, 0,  0x18, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,  // nlmsghdr: len 80, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE
            2, 24, 0, 0,  100, 3, 0, 1,  4, 0, 0, 0,                      // rtmsg: AF_INET /24 table 100 boot universe unicast, RTNH_F_ONLINK
            8, 0, 15, 0,  100, 0, 0, 0,                                    // RTA_TABLE 100
            8, 0, 1, 0,  10, 0, 0, 0,                                      // RTA_DST 10.0.0.0
            8, 0, 5, 0,  10, 0, 0, 1,                                      // RTA_GATEWAY 10.0.0.1
            8, 0, 4, 0,  3, 0, 0, 0,                                       // RTA_OIF 3
            8, 0, 6, 0,  5, 0, 0, 0,                                       // RTA_PRIORITY 5
            12, 0, 8, 0x80,  8, 0, 2, 0,  0x78, 0x05, 0, 0,                // RTA_METRICS|NLA_F_NESTED { RTAX_MTU 1400 }
        ]
        #expect(bytes == golden)
    }

    @Test(arguments: [
        Route(destination: IPPrefix("10.0.0.0/24")!, gateway: IPAddress("10.0.0.1")!, outputIndex: 3,
              isOnLink: true, table: 100, scope: .universe, metric: 5, mtu: 1400),
        Route(destination: IPPrefix("0.0.0.0/0")!, gateway: IPAddress("192.168.1.1")!, table: 1000, scope: .universe),
        Route(destination: IPPrefix("fd00::/64")!, outputIndex: 7, scope: .link, preferredSource: IPAddress("fd00::1")!),
        Route(destination: IPPrefix("10.9.0.0/16")!, scope: .universe, proto: .static, type: .blackhole),
    ])
    func routeRoundTrip(route: Route) {
        let bytes = encodeRequest(type: Self.RTM_NEWROUTE) { route.encode($0) }
        #expect(withMessage(bytes) { Route(parsing: $0) } == route)
    }

    @Test func addressRoundTrip() {
        for a in [Address(prefix: IPPrefix("10.1.2.3/24")!, index: 3, flags: .noDAD, label: "eth0:1"),
                  Address(prefix: IPPrefix("fd00::5/64")!, index: 9, scope: .link)] {
            let bytes = encodeRequest(type: Self.RTM_NEWADDR) { a.encode($0) }
            #expect(withMessage(bytes) { Address(parsing: $0) } == a)
        }
    }

    @Test func fdbRoundTrip() {
        let e = FDBEntry(mac: MACAddress("02:00:00:00:01:02")!, index: 5, destination: IPAddress("10.0.0.2")!,
                         vlan: 10, vni: 7, state: .permanent, flags: .self_)
        let bytes = encodeRequest(type: Self.RTM_NEWNEIGH) { e.encode($0) }
        #expect(withMessage(bytes) { FDBEntry(parsing: $0) } == e)
    }

    /// The veth peer nest must open with its own ifinfomsg before the peer's attributes.
    @Test func vethPeerNestLayout() throws {
        let netns = try NetNS.current()
        let spec = LinkSpec.veth(name: "eth0", mtu: 1450, peer: VethPeer(name: "veth1", mtu: 1400, netns: netns))
        let bytes = encodeRequest(type: 16) { spec.encode($0) }
        var peerName: String?, peerFD: UInt32?, kind: String?
        withMessage(bytes) { msg in
            forEachAttribute(in: UnsafeRawBufferPointer(rebasing: msg.payload[16...])) { a in  // after ifinfomsg
                guard a.type == 18 else { return }  // IFLA_LINKINFO
                a.forEachNested { info in
                    if info.type == 1 { kind = info.string }  // IFLA_INFO_KIND
                    guard info.type == 2 else { return }      // IFLA_INFO_DATA
                    info.forEachNested { peer in
                        #expect(peer.type == 1)               // VETH_INFO_PEER
                        let body = peer.payload
                        #expect(body.count > 16)
                        forEachAttribute(in: UnsafeRawBufferPointer(rebasing: body[16...])) { p in
                            if p.type == 3 { peerName = p.string }  // IFLA_IFNAME
                            if p.type == 28 { peerFD = p.u32 }      // IFLA_NET_NS_FD
                        }
                    }
                }
            }
        }
        #expect(kind == "veth")
        #expect(peerName == "veth1")
        #expect(peerFD == UInt32(bitPattern: netns.fileDescriptor))
    }

    /// An NLMSG_ERROR with NETLINK_CAP_ACK + NETLINK_EXT_ACK: errno and the kernel's text.
    @Test func extendedAckParsing() {
        var bytes: [UInt8] = [
            48, 0, 0, 0,  2, 0,  0x00, 0x03,  1, 0, 0, 0,  0, 0, 0, 0,   // NLMSG_ERROR, CAPPED|ACK_TLVS
            0xef, 0xff, 0xff, 0xff,                                       // error -17 (EEXIST)
            16, 0, 0, 0,  24, 0, 0x05, 0x06,  1, 0, 0, 0,  0, 0, 0, 0,  // echoed request header only
            9, 0, 1, 0,  0x62, 0x6f, 0x6f, 0x6d, 0,  0, 0, 0,           // NLMSGERR_ATTR_MSG "boom"
        ]
        bytes[0] = UInt8(bytes.count)
        let ack = withMessage(bytes) { RTNetlink.parseAck($0) }
        #expect(ack?.errno == 17)
        #expect(ack?.message == "boom")
        let ok: [UInt8] = [36, 0, 0, 0, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        #expect(withMessage(ok) { RTNetlink.parseAck($0) } == nil)
    }

    @Test func errorDescriptionKeepsFacts() {
        let e = NetlinkError("RTM_NEWROUTE", "10.0.0.0/24 via 10.0.0.1 dev eth0", errno: 17)
        #expect(e.description == "RTM_NEWROUTE 10.0.0.0/24 via 10.0.0.1 dev eth0: File exists")
        #expect(e.isExists && !e.isNotFound)
        #expect(NetlinkError("RTM_DELLINK", "x", errno: 19).isNotFound)
    }
}
