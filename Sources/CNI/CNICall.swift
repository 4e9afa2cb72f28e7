import FoundationEssentials

/// One validated plugin invocation: the environment, the decoded common configuration, and
/// the raw stdin bytes for the plugin's own keys and for delegation.
public struct CNICall: Sendable {
    public var environment: CNIEnvironment
    public var config: NetworkConfig
    /// The configuration exactly as read from stdin.
    public var stdin: [UInt8]
    /// The whole process environment the call came with (passed on to delegated plugins).
    public var processEnvironment: [String: String]

    public init(environment: CNIEnvironment, config: NetworkConfig, stdin: [UInt8],
                processEnvironment: [String: String] = [:]) {
        self.environment = environment; self.config = config; self.stdin = stdin
        self.processEnvironment = processEnvironment.isEmpty ? environment.variables : processEnvironment
    }

    public var command: CNICommand { environment.command }
    public var containerID: String { environment.containerID }
    public var netns: String { environment.netns }
    public var ifName: String { environment.ifName }
    public var args: CNIArgs { environment.args }

    /// Decodes the plugin's own view of the configuration from stdin. A mismatch with `T`
    /// is code 7 (invalid network configuration) naming the field.
    public func decodeConfig<T: Decodable>(_ type: T.Type = T.self) throws(CNIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(stdin))
        } catch {
            throw CNIError(wrapping: error, code: CNIError.invalidConfig, "invalid network configuration for \(config.type)")
        }
    }
}
