import Foundation
import KubeAPI
import NIOPosix
import NetAddr
import Netlink
import Routing
import Testing
import TestSupport

/// Our speaker against a real BIRD 2 in its own namespace on the lab LAN (issue 5 §3).
@Suite(.serialized, .enabled(if: isRoot && FileManager.default.fileExists(atPath: "/usr/sbin/bird"), "needs root and bird2"))
struct BGPInteropTests {
    /// BIRD 2 in its own namespace on the lab's br0 at 10.50.0.2 / fd50::2, AS 64512, peering
    /// with node1 (AS 4200000001) over eBGP; it announces 10.99.0.0/24 and fd99::/64 and
    /// installs what it learns in its namespace's kernel (`proto bird`).
    static func startBIRD(_ lab: RoutingLab) throws -> (ScratchNamespace, BackgroundProcess) {
        let bird = try ScratchNamespace("tbrd")
        try shell(["ip", "-n", lab.lan.name, "link", "add", "bird\(bird.name.suffix(6))", "type", "veth", "peer", "name", "eth0", "netns", bird.name])
        try lab.lan.run(["ip", "link", "set", "bird\(bird.name.suffix(6))", "master", "br0", "up"])
        try bird.run(["ip", "link", "set", "eth0", "up"])
        try bird.run(["ip", "addr", "add", "10.50.0.2/24", "dev", "eth0"])
        try bird.run(["ip", "addr", "add", "fd50::2/64", "dev", "eth0", "nodad"])
        let conf = lab.data.path + "/bird.conf", ctl = lab.data.path + "/bird.ctl"
        try """
            router id 10.50.0.2;
            protocol device {}
            protocol direct { ipv4; ipv6; interface "eth0"; }
            protocol kernel k4 { ipv4 { export where source = RTS_BGP; import none; }; }
            protocol kernel k6 { ipv6 { export where source = RTS_BGP; import none; }; }
            protocol static s4 { ipv4; route 10.99.0.0/24 blackhole; }
            protocol static s6 { ipv6; route fd99::/64 blackhole; }
            protocol bgp trellis {
              local 10.50.0.2 as 64512;
              neighbor 10.50.0.11 as 4200000001;
              hold time 9;
              ipv4 { import all; export where proto = "s4"; };
              ipv6 { import all; export where proto = "s6"; next hop address fd50::2; };
            }
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let daemon = try BackgroundProcess(["ip", "netns", "exec", bird.name, "bird", "-f", "-c", conf, "-s", ctl, "-P", lab.data.path + "/bird.pid"])
        return (bird, daemon)
    }

    @Test func trellisRoutingModeBGPAnnouncesThePodCIDR() throws {
        let lab = try RoutingLab(mode: .hostGW)
        let node = try lab.addNode(1)
        let (bird, daemon) = try Self.startBIRD(lab)
        defer { daemon.stop() }
        let nodesFile = lab.data.path + "/nodes.json"
        try KubeJSON.encode([node.object]).write(to: URL(fileURLWithPath: nodesFile))
        let routing = try BackgroundProcess([builtProductsDirectory + "/trellis", "routing", "--mode", "bgp", "--node-name", "node1",
                                             "--netns", node.ns.name, "--nodes-file", nodesFile, "--subnet-file", lab.data.path + "/subnet.env",
                                             "--asn", "4200000001", "--bgp-peer", "10.50.0.2:64512", "--resync-interval", "0.5"])
        defer { routing.stop() }
        #expect(try eventually(timeout: 20) {
            try bird.run(["ip", "route", "show", "proto", "bird"]).stdout.contains("10.244.1.0/24 via 10.50.0.11")
        }, "BIRD learns node1's pod CIDR from trellis routing --mode bgp")
        #expect(try eventually(timeout: 10) {
            try node.ns.run(["ip", "route", "show", "proto", "85"]).stdout.contains("10.99.0.0/24 via 10.50.0.2")
        }, "node1 installs BIRD's route with protocol 85")
    }

    @Test func birdAndTrellisExchangePodCIDRsOverEBGPWithFourOctetAS() throws {
        let lab = try RoutingLab(mode: .hostGW)
        let node = try lab.addNode(1)
        let (bird, daemon) = try Self.startBIRD(lab)
        defer { daemon.stop() }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let installer = BGPRouteInstaller(kernel: node.kernel)
        let peer = BGPSpeaker.Peer(address: IPAddress("10.50.0.2")!, asn: 64512)
        let speaker = BGPSpeaker(configuration: .init(localASN: 4_200_000_001, routerID: IPv4Address("10.50.0.11")!, holdTime: 9,
                                                      peers: [peer], netns: node.ns.netns, retryInterval: .milliseconds(300)),
                                 group: group) { event in installer.handle(event) }
        speaker.announce(.init(prefixes: [IPPrefix("10.244.1.0/24")!, IPPrefix("fd10:244:1::/64")!],
                               nextHop4: IPAddress("10.50.0.11"), nextHop6: IPAddress("fd50::11")))
        speaker.start()
        defer { speaker.stop() }

        #expect(try eventually(timeout: 20) { speaker.isEstablished(peer) }, "session Established with BIRD")
        #expect(try eventually(timeout: 5) {
            try bird.run(["birdc", "-s", lab.data.path + "/bird.ctl", "show", "protocols", "trellis"], check: false).stdout.contains("Established")
        }, "BIRD's side of the session is Established too")
        func birdRoutes() throws -> String { try bird.run(["ip", "route", "show", "proto", "bird"]).stdout + (try bird.run(["ip", "-6", "route", "show", "proto", "bird"]).stdout) }
        #expect(try eventually(timeout: 10) {
            let r = try birdRoutes()
            return r.contains("10.244.1.0/24 via 10.50.0.11") && r.contains("fd10:244:1::/64 via fd50::11")
        }, "BIRD installs our pod CIDRs with our next hop: \((try? birdRoutes()) ?? "")")
        #expect(try eventually(timeout: 10) { installer.table == ["10.99.0.0/24 via 10.50.0.2", "fd99::/64 via fd50::2"] }, "\(installer.table)")
        let learned = try node.ns.run(["ip", "route", "show", "proto", "85"]).stdout + (try node.ns.run(["ip", "-6", "route", "show", "proto", "85"]).stdout)
        #expect(learned.contains("10.99.0.0/24 via 10.50.0.2") && learned.contains("fd99::/64 via fd50::2"), "\(learned)")

        // Withdraw one prefix: BIRD removes it.
        speaker.announce(.init(prefixes: [IPPrefix("fd10:244:1::/64")!], nextHop4: IPAddress("10.50.0.11"), nextHop6: IPAddress("fd50::11")))
        #expect(try eventually(timeout: 10) { try !birdRoutes().contains("10.244.1.0/24") })

        // BIRD goes away: its routes are withdrawn from our kernel when the session drops.
        daemon.stop()
        #expect(try eventually(timeout: 15) { installer.table.isEmpty })
        #expect(try node.ns.run(["ip", "route", "show", "proto", "85"]).stdout.isEmpty)
    }
}
