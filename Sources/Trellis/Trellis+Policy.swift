import ArgumentParser
import Foundation
import NetAddr
import Policy

extension Trellis {
    /// `trellis policy`: NetworkPolicy and ClusterNetworkPolicy enforcement (issue 9).
    struct PolicyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "NetworkPolicy and ClusterNetworkPolicy enforcement.",
            subcommands: [Explain.self])

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
