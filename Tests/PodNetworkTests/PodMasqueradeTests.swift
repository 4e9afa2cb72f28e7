import Foundation
import Testing
import NetAddr
import PodNetwork
import TestSupport

/// `ip -n NS …` for brevity.
func ip(_ ns: ScratchNamespace, _ args: String) throws {
    try shell(["ip", "-n", ns.name] + args.split(separator: " ").map(String.init))
}

/// Whether one ping from `ns` to `dest` gets an answer.
func pings(_ ns: ScratchNamespace, _ dest: String) -> Bool {
    (try? ns.run(["ping", "-c1", "-W1", "-n", dest], check: false).status) == 0
}

/// A named counter's packet count in `table inet probe` of `ns`.
func packets(_ ns: ScratchNamespace, _ counter: String) throws -> Int {
    let out = try ns.run(["nft", "list", "counter", "inet", "probe", counter]).stdout
    guard let r = out.range(of: #"packets (\d+)"#, options: .regularExpression) else { return -1 }
    return Int(out[r].split(separator: " ")[1]) ?? -1
}

/// node: bridge br0 (10.1.0.1/24, fd01::1/64) with the pod's veth, and a routed link to ext
/// (192.168.77.1/24, fd77::1/64 and 10.1.200.1/24). pod: 10.1.0.5/24, fd01::5/64.
/// ext: 192.168.77.2, fd77::2, 10.1.200.2, with a `table inet probe` counting echo requests
/// by source address.
struct MasqueradeTopology {
    let node: ScratchNamespace, pod: ScratchNamespace, ext: ScratchNamespace

    init() throws {
        node = try ScratchNamespace("nfnd"); pod = try ScratchNamespace("nfpd"); ext = try ScratchNamespace("nfex")
        try node.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
        for ns in [node, pod, ext] { try ns.run(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]) }
        try ip(node, "link add br0 type bridge")
        try ip(node, "addr add 10.1.0.1/24 dev br0")
        try ip(node, "addr add fd01::1/64 dev br0 nodad")
        try ip(node, "link set br0 up")
        try ip(node, "link add vp type veth peer name eth0 netns \(pod.name)")
        try ip(node, "link set vp master br0 up")
        try ip(pod, "addr add 10.1.0.5/24 dev eth0")
        try ip(pod, "addr add fd01::5/64 dev eth0 nodad")
        try ip(pod, "link set eth0 up")
        try ip(pod, "route add default via 10.1.0.1")
        try ip(pod, "-6 route add default via fd01::1")
        try ip(node, "link add vx type veth peer name eth0 netns \(ext.name)")
        for a in ["192.168.77.1/24", "10.1.200.1/24", "fd77::1/64 nodad"] { try ip(node, "addr add \(a) dev vx") }
        try ip(node, "link set vx up")
        for a in ["192.168.77.2/24", "10.1.200.2/24", "fd77::2/64 nodad"] { try ip(ext, "addr add \(a) dev eth0") }
        try ip(ext, "link set eth0 up")
        try ip(ext, "route add 10.1.0.0/24 via 192.168.77.1")
        try ip(ext, "-6 route add fd01::/64 via fd77::1")
        try ext.run(["nft", "-f", "-"], stdin: """
            table inet probe {
              counter natted {}
              counter direct {}
              counter natted6 {}
              counter direct6 {}
              chain input {
                type filter hook input priority 0; policy accept;
                icmp type echo-request ip saddr 192.168.77.1 counter name natted
                icmp type echo-request ip saddr 10.1.0.5 counter name direct
                icmpv6 type echo-request ip6 saddr fd77::1 counter name natted6
                icmpv6 type echo-request ip6 saddr fd01::5 counter name direct6
              }
            }
            """)
    }
}

@Suite("PodMasquerade against the kernel", .enabled(if: isRoot, "needs root for network namespaces"))
struct PodMasqueradeTests {
    @Test func podTrafficLeavesWithTheNodeAddressUntilRemoved() throws {
        let t = try MasqueradeTopology()
        let masq = try PodMasquerade(netns: t.node.netns)
        try masq.add(addresses: [IPPrefix("10.1.0.5/16")!, IPPrefix("fd01::5/64")!], network: "net1", owner: "c1/eth0")

        // To another network: masqueraded to the node's address on that link.
        #expect(eventually { pings(t.pod, "192.168.77.2") })
        #expect(try packets(t.ext, "natted") >= 1)
        #expect(try packets(t.ext, "direct") == 0)
        #expect(eventually { pings(t.pod, "fd77::2") })
        #expect(try packets(t.ext, "natted6") >= 1)
        #expect(try packets(t.ext, "direct6") == 0)

        // Inside the pod's own network (10.1.0.0/16, routed here): the pod's address is kept.
        #expect(eventually { pings(t.pod, "10.1.200.2") })
        #expect(try packets(t.ext, "direct") >= 1)

        let listed = try t.node.run(["nft", "list", "table", "inet", "trellis_cni"]).stdout
        for line in ["ip saddr . ip daddr @nomasq4 accept", "ip daddr 224.0.0.0/4 accept", "ip saddr @masq4 masquerade",
                     "ip6 saddr . ip6 daddr @nomasq6 accept", "ip6 daddr ff00::/8 accept", "ip6 saddr @masq6 masquerade",
                     "10.1.0.5 . 10.1.0.0/16 comment \"c1/eth0 net1\"", "fd01::5 comment \"c1/eth0 net1\""] {
            #expect(listed.contains(line), "missing: \(line)\n\(listed)")
        }

        try masq.remove(owner: "c1/eth0")
        #expect(try masq.list() == [])
        try t.node.run(["conntrack", "-F"], check: false)  // forget NAT bindings of earlier pings
        let natted = try packets(t.ext, "natted"), direct = try packets(t.ext, "direct")
        #expect(eventually { pings(t.pod, "192.168.77.2") })
        #expect(try packets(t.ext, "natted") == natted)
        #expect(try packets(t.ext, "direct") > direct)
        try masq.uninstall()
        try masq.uninstall()
    }

    @Test func addRemoveAndGCAreIdempotent() throws {
        let ns = try ScratchNamespace("nft")
        let masq = try PodMasquerade(netns: ns.netns)
        #expect(try masq.list() == nil)
        try masq.remove(owner: "nobody/eth0")  // no table yet: nothing to do
        let a = IPPrefix("10.1.0.5/24")!, b = IPPrefix("10.1.0.6/24")!, c = IPPrefix("fd01::7/64")!
        try masq.add(addresses: [a], network: "net1", owner: "c1/eth0")
        try masq.add(addresses: [a], network: "net1", owner: "c1/eth0")
        try masq.add(addresses: [b], network: "net1", owner: "c2/eth0")
        try masq.add(addresses: [c], network: "net2", owner: "c3/eth0")
        #expect(try masq.list()?.map(\.owner) == ["c1/eth0", "c2/eth0", "c3/eth0"])
        try masq.remove(owner: "c1/eth0")
        try masq.remove(owner: "c1/eth0")
        #expect(try masq.list()?.map(\.description) == ["10.1.0.6 10.1.0.0/24 net1 c2/eth0", "fd01::7 fd01::/64 net2 c3/eth0"])

        // An address whose DEL was missed is taken over by its new owner.
        try masq.add(addresses: [IPPrefix("10.1.0.6/16")!], network: "net1", owner: "c4/eth0")
        let ruleset = try ns.run(["nft", "list", "ruleset"]).stdout
        #expect(try masq.list()?.map(\.description) == ["fd01::7 fd01::/64 net2 c3/eth0", "10.1.0.6 10.1.0.0/16 net1 c4/eth0"],
                "\(ruleset)")

        #expect(try masq.gc(validOwners: ["c3/eth0"]).map(\.owner) == ["c4/eth0"])
        #expect(try masq.gc(validOwners: ["c3/eth0"]) == [])
        #expect(try masq.list()?.map(\.owner) == ["c3/eth0"])
        // Six fixed rules, however many pods came and went.
        let rules = try ns.run(["nft", "-a", "list", "chain", "inet", "trellis_cni", "postrouting"]).stdout
        #expect(rules.split(separator: "\n").filter { $0.contains("# handle") && !$0.contains("chain ") }.count == 6)
        #expect(throws: (any Error).self) { try masq.add(addresses: [a], network: "bad name", owner: "c5/eth0") }
    }

    @Test func concurrentFirstAddsAllSucceed() throws {
        let ns = try ScratchNamespace("nft")
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            do {
                let masq = try PodMasquerade(netns: ns.netns)
                try masq.add(addresses: [IPPrefix("10.1.0.\(10 + i)/24")!], network: "net1", owner: "c\(i)/eth0")
            } catch { failures.append("\(error)") }
        }
        #expect(failures.all.isEmpty)
        #expect(try PodMasquerade(netns: ns.netns).list()?.count == 6)
        let rules = try ns.run(["nft", "-a", "list", "chain", "inet", "trellis_cni", "postrouting"]).stdout
        #expect(rules.split(separator: "\n").filter { $0.contains("# handle") && !$0.contains("chain ") }.count == 6)
    }
}

final class Failures: @unchecked Sendable {
    private var items: [String] = []
    private let lock = NSLock()
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}
