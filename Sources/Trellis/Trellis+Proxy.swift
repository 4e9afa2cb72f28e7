import ArgumentParser
import Foundation
import KubeAPI
import NetAddr
import ServiceProxy
import KubeClient
import NetNS
import NFTables

extension Trellis {
    /// `trellis proxy`: the kube-proxy replacement, fed by shared informers (Services,
    /// EndpointSlices, Nodes); `--dump --objects FILE` prints the plan for objects in a file.
    struct ProxyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proxy",
            abstract: "Service proxy (kube-proxy replacement, nftables backend).",
            discussion: """
                Without --dump: watches the API server (--kubeconfig) and programs nftables in this network \
                namespace, or in --netns (the API connection stays in the current one). \
                --dump --objects FILE prints the plan (both families, health checks) that the proxy would \
                program for the Services, EndpointSlices and Nodes in FILE (a Kubernetes List or a JSON array, \
                as `kubectl get svc,endpointslices,nodes -A -o json` prints).
                """)

        @Flag(name: .long, help: "Print the plan as text and exit.")
        var dump = false

        @Option(name: .long, help: "Objects to plan from (with --dump).")
        var objects: String?

        @Option(name: .long, help: "This node's name (endpoints with this nodeName are local).")
        var nodeName: String = ProcessInfo.processInfo.hostName

        @Option(name: .long, help: "A node address (repeatable); default: the Node object's addresses.")
        var nodeIP: [String] = []

        @Option(name: .long, help: "Node addresses that serve NodePorts (CIDR, repeatable); default: all.")
        var nodeportAddresses: [String] = []

        @Option(name: .long, help: "Pod CIDR of the cluster (repeatable): masquerade detection.")
        var clusterCIDR: [String] = []

        @Option(name: .long, help: "Kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
        var kubeconfig: String?

        @Option(name: .long, help: "Program the rules in this network namespace (a name under /var/run/netns or a path).")
        var netns: String?

        @Option(name: .long, help: "Port of /healthz, /livez and /metrics (0: none).")
        var healthzPort: Int = 10256

        @Option(name: .long, help: "Minimum seconds between syncs.")
        var minSyncPeriod: Double = 1

        func validate() throws {
            if dump, objects == nil { throw ValidationError("--dump needs --objects FILE") }
            if !dump, objects != nil { throw ValidationError("--objects goes with --dump") }
            guard (0...65535).contains(healthzPort) else { throw ValidationError("--healthz-port: 0-65535") }
            for ip in nodeIP where IPAddress(ip) == nil { throw ValidationError("--node-ip: not an address: \(ip)") }
            for c in nodeportAddresses + clusterCIDR where IPPrefix(c) == nil { throw ValidationError("not a CIDR: \(c)") }
        }

        var config: ProxyConfig {
            ProxyConfig(nodeName: nodeName, nodeAddresses: nodeIP.compactMap { IPAddress($0) },
                        nodePortAddresses: nodeportAddresses.compactMap { IPPrefix($0) },
                        clusterCIDRs: clusterCIDR.compactMap { IPPrefix($0) })
        }

        func run() async throws {
            if dump { try runDump() } else { try await runLive() }
        }

        func runLive() async throws {
            let netnsPath = netns.map { $0.contains("/") ? $0 : NetNS.path(named: $0) }
            let target = try netnsPath.map { try NetNS.open(path: $0) }
            let nft = try target.map { try NFTablesConnection(in: $0) } ?? NFTablesConnection()
            let proxier = ServiceProxier(config: config, backend: NFTablesBackend(nft: nft), conntrack: ConntrackTool(netnsPath: netnsPath),
                                         minSyncPeriod: minSyncPeriod)
            let http = try healthzPort == 0 ? nil : ProxyHTTP(proxier: proxier, healthPort: UInt16(healthzPort), netns: target)
            let client = try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig))
            let factory = SharedInformerFactory(client: client)
            factory.informer(Service.self).addHandler { event in
                if case .deleted(let o) = event { proxier.deleteService(o.key) } else { proxier.upsert(event.object) }
                http?.reconcileHealthChecks()
            }
            factory.informer(EndpointSlice.self).addHandler { event in
                if case .deleted(let o) = event { proxier.deleteEndpointSlice(o.key) } else { proxier.upsert(event.object) }
            }
            factory.informer(Node.self).addHandler { event in
                if case .deleted(let o) = event { proxier.deleteNode(o.name) } else { proxier.upsert(event.object) }
            }
            factory.start()
            log("trellis proxy: node \(nodeName), rules in \(netnsPath ?? "this namespace"), API \(client.config.server)")
            try await runUntilSignalled {
                try await factory.waitForSync()
                proxier.markSynced()
                log("trellis proxy: synced")
                await proxier.run(onError: { log("trellis proxy: sync failed: \($0)") })
            }
            factory.shutdown()
            http?.stop()
            await client.shutdown()
        }

        func runDump() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: objects!))
            let root = try JSONValue(json: data)
            let items = root.arrayValue ?? root["items"]?.arrayValue ?? [root]
            var inputs = ProxyInputs()
            for item in items {
                switch item["kind"]?.stringValue {
                case "Service": let s: Service = try item.decode(); inputs.services[s.key] = s
                case "EndpointSlice": let s: EndpointSlice = try item.decode(); inputs.endpointSlices[s.key] = s
                case "Node": let n: Node = try item.decode(); inputs.nodes[n.metadata.name ?? ""] = n
                default: continue
                }
            }
            print(ProxyModel.plan(inputs, config: config), terminator: "")
        }
    }
}
