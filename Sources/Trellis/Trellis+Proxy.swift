import ArgumentParser
import Foundation
import KubeAPI
import NetAddr
import ServiceProxy

extension Trellis {
    /// `trellis proxy`: the kube-proxy replacement. Today: `--dump` of the plan for a set of
    /// objects read from a file; the live mode is wired to the KubeClient informers when
    /// that module lands (the proxier's event methods are what the informers will call).
    struct ProxyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proxy",
            abstract: "Service proxy (kube-proxy replacement, nftables backend).",
            discussion: """
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

        func validate() throws {
            guard dump else {
                throw ValidationError("the live proxy needs the KubeClient informers, not on main yet; use --dump --objects FILE")
            }
            guard objects != nil else { throw ValidationError("--dump needs --objects FILE") }
            for ip in nodeIP where IPAddress(ip) == nil { throw ValidationError("--node-ip: not an address: \(ip)") }
            for c in nodeportAddresses + clusterCIDR where IPPrefix(c) == nil { throw ValidationError("not a CIDR: \(c)") }
        }

        func run() throws {
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
            let config = ProxyConfig(nodeName: nodeName, nodeAddresses: nodeIP.compactMap { IPAddress($0) },
                                     nodePortAddresses: nodeportAddresses.compactMap { IPPrefix($0) },
                                     clusterCIDRs: clusterCIDR.compactMap { IPPrefix($0) })
            print(ProxyModel.plan(inputs, config: config), terminator: "")
        }
    }
}
