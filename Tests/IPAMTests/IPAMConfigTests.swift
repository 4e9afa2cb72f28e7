import CNI
import IPAM
import NetAddr
import Testing

@Suite struct IPAMConfigTests {
    struct DefaultCase: CustomTestStringConvertible, Sendable {
        var subnet: String, start: String, end: String, gateway: String
        var testDescription: String { subnet }
    }

    @Test(arguments: [
        DefaultCase(subnet: "10.1.0.0/24", start: "10.1.0.1", end: "10.1.0.254", gateway: "10.1.0.1"),
        DefaultCase(subnet: "10.1.0.0/16", start: "10.1.0.1", end: "10.1.255.254", gateway: "10.1.0.1"),
        DefaultCase(subnet: "10.1.0.0/30", start: "10.1.0.1", end: "10.1.0.2", gateway: "10.1.0.1"),
        DefaultCase(subnet: "fd00::/64", start: "fd00::1", end: "fd00::ffff:ffff:ffff:ffff", gateway: "fd00::1"),
        DefaultCase(subnet: "fd00::/120", start: "fd00::1", end: "fd00::ff", gateway: "fd00::1"),
        DefaultCase(subnet: "fd00::/126", start: "fd00::1", end: "fd00::3", gateway: "fd00::1"),
    ])
    func defaults(_ c: DefaultCase) throws {
        let config = try ipamConfig(rangesJSON([[c.subnet]]))
        let r = try #require(config.rangeSets.first?.ranges.first)
        #expect(r.subnet == IPPrefix(c.subnet)!)
        #expect(r.rangeStart == ip(c.start))
        #expect(r.rangeEnd == ip(c.end))
        #expect(r.gateway == ip(c.gateway))
        #expect(config.dataDir == "/var/lib/cni/networks")
        #expect(config.name == "testnet")
        #expect(config.resolvConf == nil)
    }

    @Test func everyKeyDecodes() throws {
        let config = try ipamConfig(#"""
            {"type":"host-local","subnet":"10.9.0.0/16","rangeStart":"10.9.1.0","rangeEnd":"10.9.1.99","gateway":"10.9.0.254",
             "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.20","gateway":"10.1.0.254"},
                        {"subnet":"10.2.0.0/24"}],
                       [{"subnet":"fd00::/64"}]],
             "routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.1"},{"dst":"::/0"}],
             "dataDir":"/run/trellis/ipam","resolvConf":"/etc/trellis/resolv.conf"}
            """#,
            extra: #","args":{"cni":{"ips":["10.1.0.15"]}},"runtimeConfig":{"ips":["fd00::9/64"],"ipRanges":[[{"subnet":"10.200.0.0/24"}]]}"#,
            args: [("IgnoreUnknown", "1"), ("IP", "10.9.1.5,10.2.0.7")])
        #expect(config.rangeSets.map(\.description) == [
            "10.200.0.1-10.200.0.254",                        // runtimeConfig.ipRanges first
            "10.9.1.0-10.9.1.99",                             // then the legacy range
            "10.1.0.10-10.1.0.20,10.2.0.1-10.2.0.254",        // then ranges
            "fd00::1-fd00::ffff:ffff:ffff:ffff",
        ])
        #expect(config.rangeSets[1].ranges[0].gateway == ip("10.9.0.254"))
        #expect(config.rangeSets[2].ranges[0].gateway == ip("10.1.0.254"))
        #expect(config.routes == [
            CNIResult.Route(dst: IPPrefix("0.0.0.0/0")!),
            CNIResult.Route(dst: IPPrefix("192.168.0.0/16")!, gw: ip("10.1.0.1")),
            CNIResult.Route(dst: IPPrefix("::/0")!),
        ])
        #expect(config.dataDir == "/run/trellis/ipam")
        #expect(config.resolvConf == "/etc/trellis/resolv.conf")
        #expect(config.requestedIPs == [ip("10.9.1.5"), ip("10.2.0.7"), ip("10.1.0.15"), ip("fd00::9")])
        #expect(config.cniVersion == "1.1.0")
    }

    @Test func valuesInitValidatesLikeJSON() throws {
        let good = try IPAMConfig(name: "n", rangeSets: [RangeSet([AddressRange(subnet: IPPrefix("10.1.0.0/24")!)])])
        #expect(good.rangeSets[0].ranges[0].rangeEnd == ip("10.1.0.254"))
        let bad = cniError {
            _ = try IPAMConfig(name: "n", rangeSets: [RangeSet([AddressRange(subnet: IPPrefix("10.1.0.0/24")!,
                                                                             gateway: ip("10.2.0.1"))])])
        }
        #expect(bad == CNIError(7, "ipam.ranges[0][0].gateway: 10.2.0.1 not in network 10.1.0.0/24"))
    }

    struct InvalidCase: CustomTestStringConvertible, Sendable {
        var label: String
        var config: [UInt8]
        var args: [String] = []
        var code = CNIError.invalidConfig
        var message: String
        var testDescription: String { label }
    }

    static let invalid: [InvalidCase] = [
        .init(label: "no ipam", config: Array(#"{"cniVersion":"1.1.0","name":"n"}"#.utf8), message: "ipam: missing"),
        .init(label: "no name", config: Array(#"{"cniVersion":"1.1.0","ipam":{}}"#.utf8), message: "name: missing"),
        .init(label: "not JSON", config: Array(#"{"name":"n","ipam":"#.utf8), code: 6, message: "network config is not valid JSON"),
        .init(label: "name with slash", config: networkConfig(rangesJSON([["10.1.0.0/24"]]), name: "a/b"),
              message: #"name: "a/b" contains '/' or NUL"#),
        .init(label: "name ..", config: networkConfig(rangesJSON([["10.1.0.0/24"]]), name: ".."),
              message: #"name: ".." cannot name a directory"#),
        .init(label: "empty name", config: networkConfig(rangesJSON([["10.1.0.0/24"]]), name: ""), message: "name: empty"),
        .init(label: "no ranges", config: networkConfig(#"{"type":"host-local"}"#), message: "ipam.ranges: no IP ranges specified"),
        .init(label: "empty range set", config: networkConfig(#"{"ranges":[[]]}"#), message: "ipam.ranges[0]: empty range set"),
        .init(label: "subnet missing", config: networkConfig(#"{"ranges":[[{"rangeStart":"10.0.0.1"}]]}"#),
              message: "ipam.ranges[0][0].subnet: missing"),
        .init(label: "subnet not a CIDR", config: networkConfig(#"{"ranges":[[{"subnet":"banana"}]]}"#),
              message: #"ipam.ranges[0][0].subnet: invalid CIDR "banana""#),
        .init(label: "subnet a number", config: networkConfig(#"{"ranges":[[{"subnet":5}]]}"#),
              message: "ipam.ranges[0][0].subnet: expected String"),
        .init(label: "/31", config: networkConfig(rangesJSON([["10.0.0.0/31"]])),
              message: "ipam.ranges[0][0].subnet: network 10.0.0.0/31 too small to allocate from"),
        .init(label: "/32", config: networkConfig(rangesJSON([["10.0.0.1/32"]])),
              message: "ipam.ranges[0][0].subnet: network 10.0.0.1/32 too small to allocate from"),
        .init(label: "/127", config: networkConfig(rangesJSON([["fd00::/127"]])),
              message: "ipam.ranges[0][0].subnet: network fd00::/127 too small to allocate from"),
        .init(label: "host bits", config: networkConfig(rangesJSON([["10.1.0.5/24"]])),
              message: "ipam.ranges[0][0].subnet: 10.1.0.5/24 has host bits set; the network address is 10.1.0.0/24"),
        .init(label: "rangeStart outside", config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.1.1"}]]}"#),
              message: "ipam.ranges[0][0].rangeStart: 10.1.1.1 not in network 10.1.0.0/24"),
        .init(label: "rangeStart bad text", config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.300"}]]}"#),
              message: #"ipam.ranges[0][0].rangeStart: invalid IP address "10.1.0.300""#),
        .init(label: "rangeEnd outside", config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"10.2.0.1"}]]}"#),
              message: "ipam.ranges[0][0].rangeEnd: 10.2.0.1 not in network 10.1.0.0/24"),
        .init(label: "rangeEnd other family", config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"fd00::1"}]]}"#),
              message: "ipam.ranges[0][0].rangeEnd: fd00::1 not in network 10.1.0.0/24"),
        .init(label: "rangeEnd before rangeStart",
              config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.50","rangeEnd":"10.1.0.40"}]]}"#),
              message: "ipam.ranges[0][0].rangeEnd: 10.1.0.40 is before rangeStart 10.1.0.50"),
        .init(label: "gateway outside", config: networkConfig(#"{"ranges":[[{"subnet":"10.1.0.0/24","gateway":"10.9.0.1"}]]}"#),
              message: "ipam.ranges[0][0].gateway: 10.9.0.1 not in network 10.1.0.0/24"),
        .init(label: "legacy rangeStart outside", config: networkConfig(#"{"subnet":"10.1.0.0/24","rangeStart":"10.3.0.1"}"#),
              message: "ipam.rangeStart: 10.3.0.1 not in network 10.1.0.0/24"),
        .init(label: "mixed families", config: networkConfig(rangesJSON([["10.1.0.0/24", "fd00::/64"]])),
              message: "ipam.ranges[0][1].subnet: ipv6 range in an ipv4 range set (mixed address families)"),
        .init(label: "ranges overlap in a set", config: networkConfig(rangesJSON([["10.1.0.0/24", "10.1.0.0/25"]])),
              message: "ipam.ranges[0][1]: range 10.1.0.1-10.1.0.126 overlaps ipam.ranges[0][0]"),
        .init(label: "range sets overlap", config: networkConfig(rangesJSON([["10.1.0.0/24"], ["10.1.0.0/16"]])),
              message: "ipam.ranges[1]: range set overlaps ipam.ranges[0]"),
        .init(label: "legacy overlaps ranges", config: networkConfig(#"{"subnet":"10.1.0.0/24","ranges":[[{"subnet":"10.1.0.0/24"}]]}"#),
              message: "ipam.ranges[0]: range set overlaps ipam"),
        .init(label: "route dst", config: networkConfig(#"{"subnet":"10.1.0.0/24","routes":[{"dst":"0.0.0.0"}]}"#),
              message: #"ipam.routes[0].dst: invalid CIDR "0.0.0.0""#),
        .init(label: "route without dst", config: networkConfig(#"{"subnet":"10.1.0.0/24","routes":[{"gw":"10.1.0.1"}]}"#),
              message: "ipam.routes[0].dst: missing"),
        .init(label: "route gw family", config: networkConfig(#"{"subnet":"10.1.0.0/24","routes":[{"dst":"::/0","gw":"10.1.0.1"}]}"#),
              message: #"ipam.routes[0].gw: invalid ipv6 address "10.1.0.1""#),
        .init(label: "empty dataDir", config: networkConfig(#"{"subnet":"10.1.0.0/24","dataDir":""}"#),
              message: "ipam.dataDir: empty"),
        .init(label: "args.cni.ips", config: networkConfig(#"{"subnet":"10.1.0.0/24"}"#, extra: #","args":{"cni":{"ips":["x"]}}"#),
              message: #"args.cni.ips[0]: invalid IP address "x""#),
        .init(label: "runtimeConfig.ips", config: networkConfig(#"{"subnet":"10.1.0.0/24"}"#, extra: #","runtimeConfig":{"ips":["1.2.3"]}"#),
              message: #"runtimeConfig.ips[0]: invalid IP address "1.2.3""#),
        .init(label: "CNI_ARGS IP", config: networkConfig(#"{"subnet":"10.1.0.0/24"}"#), args: ["IP", "10.1.0.5,nope"],
              message: #"CNI_ARGS IP: invalid IP address "nope""#),
    ]

    @Test(arguments: invalid)
    func rejects(_ c: InvalidCase) {
        let pairs = stride(from: 0, to: c.args.count, by: 2).map { (c.args[$0], c.args[$0 + 1]) }
        let error = cniError { _ = try IPAMConfig(networkConfig: c.config, cniArgs: pairs) }
        #expect(error?.code == c.code)
        #expect(error?.msg == c.message)
    }

    @Test func resolvConfParses() {
        let dns = ResolvConf.parse("""
            # generated
            nameserver 10.96.0.10
            nameserver fd00::a ; second
            domain cluster.local
            search default.svc.cluster.local svc.cluster.local
            search cluster.local
            options ndots:5 edns0
            bogus line
            nameserver
            """)
        #expect(dns == CNIResult.DNS(nameservers: ["10.96.0.10", "fd00::a"], domain: "cluster.local",
                                     search: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                                     options: ["ndots:5", "edns0"]))
    }
}
