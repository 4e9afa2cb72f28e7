import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import NIOPosix
import NetAddr
import NetNS
import Netlink
import Routing
import SubnetPlugins

extension Trellis {
    /// `trellis routing`: routes to every other node's pods (host-gw, vxlan or hybrid).
    struct RoutingCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "routing",
            abstract: "Route pod traffic between nodes: host-gw, vxlan or hybrid.",
            discussion: """
                Watches Node objects (through a shared informer on the API server, or from --nodes-file, a JSON Node \
                list re-read when it changes), publishes this node's VTEP MAC and public IP as annotations (a merge \
                patch; with --nodes-file they are only logged), and keeps \
                this node's kernel state in line with them: routes marked with protocol --route-protocol, and in \
                vxlan/hybrid mode one VTEP device with a permanent neighbour and FDB entry per remote node. \
                Writes this node's pod CIDRs and pod MTU to --subnet-file for trellis-hostgw and trellis-vxlan. \
                Every --resync-interval, and at once when one of its routes or permanent neighbour/FDB entries is deleted, the whole state is re-applied, so hand-made changes are undone.
                """)

        @Option(help: "hostgw, vxlan, hybrid or bgp.")
        var mode: String = "vxlan"

        @Option(help: "bgp mode: this node's AS number (4-octet allowed).")
        var asn: UInt32 = 64512

        @Option(help: "bgp mode: a peer as ADDRESS:ASN (IPv6 as [ADDRESS]:ASN); repeatable.")
        var bgpPeer: [String] = []

        @Option(help: "bgp mode: TCP port of the peers.")
        var bgpPort: UInt16 = 179

        @Option(help: "This node's name (default: $NODE_NAME, else the host name).")
        var nodeName: String?

        @Option(help: "Run in this network namespace (a name under /var/run/netns, or a path).")
        var netns: String?

        @Option(help: "The underlay interface (default: the one holding this node's InternalIP).")
        var iface: String?

        @Option(help: "VXLAN network identifier.")
        var vni: UInt32 = 1

        @Option(help: "VXLAN UDP port.")
        var vxlanPort: UInt16 = 4789

        @Option(help: "Name of the VTEP device.")
        var vtepName: String = "trellis.vxlan"

        @Option(help: "Route protocol number marking this daemon's routes.")
        var routeProtocol: UInt8 = RoutingConfig.defaultRouteProtocol

        @Option(help: "A JSON file with the Node objects (a NodeList or an array), re-read when it changes; instead of the API server.")
        var nodesFile: String?

        @Option(help: "Kubeconfig for the API server (default: $KUBECONFIG, in-cluster, ~/.kube/config). Ignored with --nodes-file.")
        var kubeconfig: String?

        @Option(help: "Where to write this node's pod CIDRs and MTU for the CNI plugins.")
        var subnetFile: String = SubnetFile.defaultPath

        @Option(help: "Seconds between full passes.")
        var resyncInterval: Double = 5

        @Flag(help: "Apply once and exit (print the plan).")
        var once = false

        @Flag(help: "On SIGTERM, remove the routes, neighbours, FDB entries and VTEP this daemon made.")
        var teardownOnExit = false

        func validate() throws {
            guard RoutingMode(rawValue: mode) != nil || mode == "bgp" else { throw ValidationError("--mode must be hostgw, vxlan, hybrid or bgp, got \"\(mode)\"") }
            for p in bgpPeer where Self.parsePeer(p) == nil { throw ValidationError("--bgp-peer must be ADDRESS:ASN, got \"\(p)\"") }
            if mode == "bgp" && bgpPeer.isEmpty { throw ValidationError("--mode bgp needs at least one --bgp-peer") }
            guard resyncInterval > 0 else { throw ValidationError("--resync-interval must be positive") }
            if vtepName.utf8.count > 15 || vtepName.isEmpty { throw ValidationError("--vtep-name must be 1-15 bytes") }
        }

        func run() async throws {
            let name = nodeName ?? ProcessInfo.processInfo.environment["NODE_NAME"] ?? ProcessInfo.processInfo.hostName
            let bgp = mode == "bgp"
            // bgp: the router only tracks this node (pod CIDRs, subnet file); peers route via BGP.
            let config = RoutingConfig(mode: RoutingMode(rawValue: mode) ?? .hostGW, nodeName: name, vni: vni, port: vxlanPort,
                                       vtepName: vtepName, routeProtocol: routeProtocol)
            let kernel: RTNetlink
            if let netns {
                kernel = try RTNetlink(in: netns.contains("/") ? NetNS.open(path: netns) : NetNS.open(named: netns))
            } else {
                kernel = try RTNetlink()
            }
            let output = PassOutput(subnetFile: subnetFile, mode: mode)
            let speakerBox = Box<BGPSpeaker?>(nil), ownNode = Box<NodeInfo?>(nil)
            let client: KubeClient? = nodesFile == nil ? try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig)) : nil
            let router = NodeRouter(config: config, kernel: kernel, iface: iface,
                                    publish: { annotations in
                                        let text = annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                        log("trellis routing: publish annotations on node \(name): \(text.joined(separator: " "))")
                                        guard let client else { return }
                                        let patch = JSONValue.object(["metadata": .object(["annotations": .object(annotations.mapValues { .string($0) })])])
                                        Task {
                                            do { _ = try await client.patch(Node.self, name: name, patch: patch) } catch {
                                                log("trellis routing: cannot annotate node \(name): \(error)")
                                            }
                                        }
                                    },
                                    onPass: { result in
                                        output.report(result)
                                        if bgp, let plan = result.plan { speakerBox.value?.exportPodCIDRs(plan.localPodCIDRs, ownNode.value) }
                                    })
            let mine: @Sendable ([Node]) -> [Node] = { nodes in
                let own = nodes.filter { $0.metadata.name == name }
                if let n = own.first { ownNode.value = NodeInfo(n) }
                return bgp ? own : nodes
            }
            let teardown = teardownOnExit
            let signals = SignalWatch([SIGTERM, SIGINT]) {
                if teardown {
                    let report = router.teardown()
                    for c in report.changes { log("trellis routing: \(c)") }
                }
                log("trellis routing: stopped")
                Foundation.exit(0)
            }
            defer { signals.cancel() }
            let source = nodesFile.map { NodesFile(path: $0) }
            if let source {
                let first = router.replaceAll(mine(try source.read()))
                if once {
                    if let plan = first.plan { print(plan.description) }
                    if let error = first.error { throw error }
                    return
                }
                log("trellis routing: node \(name), mode \(mode), nodes from \(source.path)")
            } else if let client {
                // The informer drives passes: each Node add/update/delete is one event.
                let factory = SharedInformerFactory(client: client)
                factory.informer(Node.self).addEventHandler(
                    onAdd: { n in if !mine([n]).isEmpty { router.upsert(n) } },
                    onUpdate: { _, new in if !mine([new]).isEmpty { router.upsert(new) } },
                    onDelete: { router.delete(nodeNamed: $0.metadata.name ?? "") })
                factory.start()
                try await factory.waitForSync()
                log("trellis routing: node \(name), mode \(mode), nodes from the API server")
                if once {
                    let pass = router.resync()
                    if let plan = pass.plan { print(plan.description) }
                    if let error = pass.error { throw error }
                    return
                }
            }
            if bgp {
                let speaker = try startSpeaker(kernel: kernel, own: ownNode.value)
                speakerBox.value = speaker
                router.resync()
            }
            let interval = Duration.milliseconds(Int(resyncInterval * 1000))
            let proto = RouteProtocol(rawValue: routeProtocol)
            while true {
                // A deletion of something we own (a route of our protocol, a permanent
                // neighbour or FDB entry) starts a pass at once; otherwise one per interval.
                if (try? kernel.waitForDeletion(routeProtocol: proto, timeout: interval)) == nil {
                    try await Task.sleep(for: interval)
                }
                do {
                    if let source, let nodes = try source.readIfChanged() { router.replaceAll(mine(nodes)) } else { router.resync() }
                } catch {
                    log("trellis routing: \(source?.path ?? ""): \(error)")
                }
            }
        }
    }
}

extension Trellis.RoutingCommand {
    static func parsePeer(_ text: String) -> BGPSpeaker.Peer? {
        guard let colon = text.lastIndex(of: ":"), let asn = UInt32(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return IPAddress(host).map { BGPSpeaker.Peer(address: $0, asn: asn) }
    }

    /// The BGP speaker of `--mode bgp`: sessions to every `--bgp-peer`, learned routes in the
    /// kernel with protocol 85, this node's pod CIDRs announced with its node IPs as next hops.
    func startSpeaker(kernel: RTNetlink, own: NodeInfo?) throws -> BGPSpeaker {
        guard let own, case .v4(let routerID)? = own.publicIP(.v4) else {
            throw RoutingError("bgp", "node", "this node has no IPv4 address for the BGP router ID")
        }
        let installer = BGPRouteInstaller(kernel: kernel)
        let ns: NetNS? = try netns.map { $0.contains("/") ? try NetNS.open(path: $0) : try NetNS.open(named: $0) }
        let speaker = BGPSpeaker(configuration: .init(localASN: asn, routerID: routerID, peers: bgpPeer.compactMap(Self.parsePeer),
                                                      port: bgpPort, netns: ns),
                                 group: MultiThreadedEventLoopGroup.singleton) { event in
            switch event {
            case .established(let p): log("trellis routing: BGP session with \(p) established")
            case .down(let p, let reason): log("trellis routing: BGP session with \(p) down: \(reason)")
            case .routes: break
            }
            for e in installer.handle(event) { log("trellis routing: error: \(e)") }
        }
        speaker.start()
        return speaker
    }
}

extension BGPSpeaker {
    func exportPodCIDRs(_ cidrs: [IPPrefix], _ own: NodeInfo?) {
        announce(Exports(prefixes: cidrs, nextHop4: own?.publicIP(.v4), nextHop6: own?.publicIP(.v6)))
    }
}

/// Logs what a pass did and keeps the subnet file current. Thread-safe.
final class PassOutput: @unchecked Sendable {
    let subnetFile: String
    let mode: String
    private let lock = NSLock()
    private var lastSubnet: SubnetFile?
    private var lastProblems: [PeerProblem] = []
    private var lastError: RoutingError?

    init(subnetFile: String, mode: String) {
        self.subnetFile = subnetFile
        self.mode = mode
    }

    func report(_ result: NodeRouter.PassResult) {
        lock.withLock {
            for c in result.report.changes { log("trellis routing: \(c)") }
            for e in result.report.errors { log("trellis routing: error: \(e)") }
            if result.error != lastError, let e = result.error { log("trellis routing: \(e)") }
            lastError = result.error
            guard let plan = result.plan else { return }
            if plan.problems != lastProblems {
                for p in plan.problems { log("trellis routing: unreachable \(p)") }
                lastProblems = plan.problems
            }
            let subnet = SubnetFile(mode: mode, podCIDRs: plan.localPodCIDRs, mtu: plan.podMTU)
            if subnet != lastSubnet {
                do {
                    try subnet.write(path: subnetFile)
                    lastSubnet = subnet
                    log("trellis routing: wrote \(subnetFile): subnets \(plan.localPodCIDRs.map(\.description).joined(separator: ",")) mtu \(plan.podMTU)")
                } catch {
                    log("trellis routing: cannot write \(subnetFile): \(error)")
                }
            }
        }
    }
}

/// The `--nodes-file` fixture: a NodeList (`{"items":[…]}`) or a JSON array of Nodes.
struct NodesFile {
    let path: String
    private let lastModified = Box<Date?>(nil)

    init(path: String) { self.path = path }

    func read() throws -> [Node] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        lastModified.value = modified()
        if data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "[") {
            return try KubeJSON.decode([Node].self, from: data)
        }
        return try KubeJSON.decode(KubeList<Node>.self, from: data).items
    }

    /// The nodes when the file changed since the last read, else nil.
    func readIfChanged() throws -> [Node]? {
        modified() == lastModified.value ? nil : try read()
    }

    private func modified() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0a || self == 0x0d || self == 0x09 }
}
