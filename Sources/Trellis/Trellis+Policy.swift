import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import NetAddr
import Policy

extension Trellis {
    /// `trellis policy`: NetworkPolicy and ClusterNetworkPolicy enforcement (issue 9).
    struct PolicyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "NetworkPolicy and ClusterNetworkPolicy enforcement.",
            subcommands: [Run.self, Explain.self], defaultSubcommand: Run.self)

        /// `trellis policy run`: the node daemon.
        struct Run: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Enforce policy on this node (nftables table inet trellis_policy).",
                discussion: """
                    Watches Pods, Namespaces, NetworkPolicies and (unless --no-cluster-network-policies) \
                    ClusterNetworkPolicies, and keeps the node's table current. Addresses in the node's pod \
                    CIDRs that no programmed pod holds are dropped, so run this before pods start. On exit \
                    the table stays (pods stay isolated as last programmed).
                    """)

            @Option(name: .long, help: "Kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
            var kubeconfig: String?

            @Option(name: .long, help: "This node's name (default: $NODE_NAME, else the host name).")
            var nodeName: String?

            @Option(name: .long, help: "The node's pod CIDRs, comma-separated (default: the Node's spec.podCIDRs).")
            var podCIDR: String?

            @Flag(name: .long, inversion: .prefixedNo, help: "Re-check established connections after every change.")
            var strict = true

            @Flag(name: .long, inversion: .prefixedNo, help: "Watch policy.networking.k8s.io ClusterNetworkPolicies.")
            var clusterNetworkPolicies = true

            func run() async throws {
                let env = ProcessInfo.processInfo.environment
                let node = nodeName ?? env["NODE_NAME"] ?? ProcessInfo.processInfo.hostName
                let client = try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig))
                let factory = SharedInformerFactory(client: client)
                var cidrs: [IPPrefix] = []
                for text in (podCIDR ?? "").split(separator: ",") {
                    guard let p = IPPrefix(String(text)) else { throw ValidationError("--pod-cidr: \"\(text)\" is not a CIDR") }
                    cidrs.append(p)
                }
                if cidrs.isEmpty {
                    let nodes = factory.informer(Node.self, fieldSelector: "metadata.name=\(node)")
                    factory.start()
                    try await nodes.waitForSync()
                    let spec = nodes.cache.get(name: node)?.spec
                    cidrs = (spec?.podCIDRs ?? spec?.podCIDR.map { [$0] } ?? []).compactMap { IPPrefix($0) }
                    if cidrs.isEmpty { log("trellis policy: node \(node) has no podCIDRs: no fail-closed rule") }
                }
                let enforcer = try PolicyEnforcer(nodeName: node, podCIDRs: cidrs, strict: strict)
                try enforcer.start()
                Self.subscribe(factory, enforcer, clusterNetworkPolicies: clusterNetworkPolicies)
                factory.start()
                log("trellis policy: node \(node), pod CIDRs \(cidrs.map(\.description).joined(separator: ",")), strict \(strict)")
                try await runUntilSignalled {
                    try await factory.waitForSync()
                    log("trellis policy: synced")
                    while !Task.isCancelled { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
                }
                factory.shutdown()
                await client.shutdown()
            }

            /// Informer events become enforcer events; a failed apply is logged (the next event
            /// replaces the whole table).
            static func subscribe(_ factory: SharedInformerFactory, _ e: PolicyEnforcer, clusterNetworkPolicies: Bool) {
                @Sendable func report(_ what: String, _ body: () throws -> Void) {
                    do { try body() } catch { log("trellis policy: \(what): \(error)") }
                }
                factory.informer(Pod.self).addEventHandler(
                    onAdd: { p in report("pod") { try e.upsert(p) } },
                    onUpdate: { _, p in report("pod") { try e.upsert(p) } },
                    onDelete: { p in report("pod") { try e.deletePod(namespace: p.namespace ?? "", name: p.name) } })
                factory.informer(Namespace.self).addEventHandler(
                    onAdd: { n in report("namespace") { try e.upsert(n) } },
                    onUpdate: { _, n in report("namespace") { try e.upsert(n) } },
                    onDelete: { n in report("namespace") { try e.deleteNamespace(n.name) } })
                factory.informer(NetworkPolicy.self).addEventHandler(
                    onAdd: { p in report("networkpolicy") { try e.upsert(p) } },
                    onUpdate: { _, p in report("networkpolicy") { try e.upsert(p) } },
                    onDelete: { p in report("networkpolicy") { try e.deleteNetworkPolicy(namespace: p.namespace ?? "", name: p.name) } })
                guard clusterNetworkPolicies else { return }
                factory.informer(ClusterNetworkPolicy.self).addEventHandler(
                    onAdd: { p in report("clusternetworkpolicy") { try e.upsert(p) } },
                    onUpdate: { _, p in report("clusternetworkpolicy") { try e.upsert(p) } },
                    onDelete: { p in report("clusternetworkpolicy") { try e.deleteClusterNetworkPolicy(p.name) } })
            }
        }


        /// `trellis policy explain --objects FILE SRC DST PORT/PROTO`.
        struct Explain: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the verdict on one flow and the rules that decided it.",
                discussion: """
                    FILE holds the objects (kubectl get pods,namespaces,networkpolicies,clusternetworkpolicies \
                    -A -o json). SRC and DST are IP addresses; PORT/PROTO is like 80/TCP. The verdict is the \
                    reference evaluator's, which the node's nftables rules are compiled from.
                    """)

            @Option(name: .long, help: "JSON file with the objects (a List, an object or an array).")
            var objects: String

            @Argument(help: "Source address.") var source: String
            @Argument(help: "Destination address (after Service DNAT: a pod address).") var destination: String
            @Argument(help: "PORT/PROTO, e.g. 80/TCP, 53/UDP, 9000/SCTP.") var port: String

            func run() throws {
                guard let src = IPAddress(source), let dst = IPAddress(destination) else {
                    throw ValidationError("SRC and DST must be IP addresses")
                }
                let parts = port.split(separator: "/")
                guard let number = UInt16(parts.first ?? ""),
                      let proto = L4Proto(apiName: parts.count > 1 ? parts[1].uppercased() : "TCP")
                else { throw ValidationError("PORT/PROTO must look like 80/TCP") }
                let data = try Data(contentsOf: URL(fileURLWithPath: objects))
                let model = PolicyModel(try ClusterState(json: data))
                let d = model.decide(Flow(source: src, destination: dst, port: number, proto: proto))
                print(d.allowed ? "ALLOW" : "DENY")
                print("  egress:  \(d.egress)")
                print("  ingress: \(d.ingress)")
            }
        }
    }
}
