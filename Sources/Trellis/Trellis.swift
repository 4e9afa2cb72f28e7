import ArgumentParser

/// The `trellis` command. Each daemon is a subcommand, defined in an extension.
@main
struct Trellis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "A Kubernetes networking stack and the control plane to run it on one machine.",
        subcommands: [APIServerCommand.self, ControllerManagerCommand.self, SchedulerCommand.self, KubeletCommand.self,
                      PolicyCommand.self, DNSCommand.self, ProxyCommand.self, RoutingCommand.self])
}
