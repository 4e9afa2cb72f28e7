import ArgumentParser
import Controllers
import Foundation
import KubeClient
import NetAddr

extension Trellis {
    /// `trellis controller-manager`: EndpointSlice, node IPAM, ReplicaSet and Deployment controllers.
    struct ControllerManagerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "controller-manager",
            abstract: "Run the EndpointSlice, node IPAM, ReplicaSet and Deployment controllers (leader-elected).")

        @Option(name: .long, help: "Kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
        var kubeconfig: String?

        @Option(name: .long, help: "Cluster CIDRs for node podCIDRs, comma-separated (one per IP family); empty: no node IPAM.")
        var clusterCIDR: String = ""

        @Option(name: .long, help: "Node subnet mask sizes, one per cluster CIDR (default /24 for IPv4, /64 for IPv6).")
        var nodeCIDRMaskSize: String?

        @Flag(name: .long, inversion: .prefixedNo, help: "Elect a leader on the kube-system/trellis-controller-manager Lease.")
        var leaderElect = true

        func validate() throws {
            _ = try parsedCIDRs()
        }

        func parsedCIDRs() throws -> ([IPPrefix], [Int]?) {
            var cidrs: [IPPrefix] = []
            for text in clusterCIDR.split(separator: ",") {
                guard let prefix = IPPrefix(String(text)) else { throw ValidationError("--cluster-cidr: \"\(text)\" is not a CIDR") }
                cidrs.append(prefix)
            }
            let sizes = try nodeCIDRMaskSize.map { text in
                try text.split(separator: ",").map { part -> Int in
                    guard let n = Int(part) else { throw ValidationError("--node-cidr-mask-size: \"\(part)\" is not a number") }
                    return n
                }
            }
            if !cidrs.isEmpty {
                do { _ = try NodeCIDRAllocator(clusterCIDRs: cidrs, nodeMaskSizes: sizes) } catch { throw ValidationError("\(error)") }
            }
            return (cidrs, sizes)
        }

        func run() async throws {
            let client = try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig))
            var configuration = ControllerManager.Configuration()
            (configuration.clusterCIDRs, configuration.nodeMaskSizes) = try parsedCIDRs()
            let manager = try ControllerManager(client: client, configuration: configuration)
            log("trellis controller-manager: starting")
            try await runUntilSignalled {
                if leaderElect {
                    try await manager.run(leaderElection: LeaderElectionConfig(
                        leaseName: "trellis-controller-manager", namespace: "kube-system", identity: Self.identity()))
                } else {
                    try await manager.run()
                }
            }
            await client.shutdown()
        }

        static func identity() -> String {
            (ProcessInfo.processInfo.hostName) + "_" + UUID().uuidString.prefix(8).lowercased()
        }
    }

    /// `trellis scheduler`: binds pending pods to nodes.
    struct SchedulerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scheduler",
            abstract: "Schedule pending pods onto nodes (filters, scores, preemption; leader-elected).")

        @Option(name: .long, help: "Kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
        var kubeconfig: String?

        @Option(name: .long, help: "Scheduler names to serve (pods' spec.schedulerName), comma-separated.")
        var schedulerName: String = "default-scheduler,trellis"

        @Flag(name: .long, inversion: .prefixedNo, help: "Elect a leader on the kube-system/trellis-scheduler Lease.")
        var leaderElect = true

        func run() async throws {
            let client = try KubeClient(config: ClientConfig.resolve(kubeconfigPath: kubeconfig))
            let scheduler = Scheduler(client: client, schedulerNames: Set(schedulerName.split(separator: ",").map(String.init)))
            log("trellis scheduler: starting")
            try await runUntilSignalled {
                if leaderElect {
                    let elector = try LeaderElector(client: client, config: LeaderElectionConfig(
                        leaseName: "trellis-scheduler", namespace: "kube-system", identity: ControllerManagerCommand.identity()))
                    await elector.run(onStartedLeading: { try? await scheduler.run() })
                } else {
                    try await scheduler.run()
                }
            }
            await client.shutdown()
        }
    }
}

/// Runs `body` until it returns or SIGTERM/SIGINT arrives (which cancels it).
func runUntilSignalled(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let signals = SignalWatch([SIGTERM, SIGINT]) { task.cancel() }
    defer { signals.cancel() }
    do {
        try await task.value
    } catch is CancellationError {
    }
}
