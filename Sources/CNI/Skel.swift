/// The plugin side of the CNI protocol: validate, decode, check versions, dispatch, print.
///
/// `run` is a pure function of the environment and stdin; `main` wires it to the process.
public enum Skel {
    /// What a plugin process writes and how it exits.
    public struct Output: Equatable, Sendable {
        public var exitCode: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public init(exitCode: Int32, stdout: [UInt8] = [], stderr: [UInt8] = []) {
            self.exitCode = exitCode; self.stdout = stdout; self.stderr = stderr
        }
    }

    /// Runs one CNI call. On success the exit code is 0 and stdout holds the ADD result in the
    /// configuration's version (or the VERSION answer); otherwise the exit code is 1 and stdout
    /// holds the error JSON.
    ///
    /// Order of checks: environment (code 4), configuration JSON (6), configuration (7),
    /// version (1), then the plugin.
    public static func run(plugin: some CNIPlugin, environment: [String: String], stdin: [UInt8]) -> Output {
        var version = CNIVersion.latest
        do throws(CNIError) {
            let env: CNIEnvironment
            do throws(CNIError) {
                env = try CNIEnvironment(parsing: environment)
            } catch {
                let hint = environment["CNI_COMMAND", default: ""].isEmpty ? Array(aboutText(plugin).utf8) : []
                return Output(exitCode: 1, stdout: error.encoded(cniVersion: version), stderr: hint)
            }
            if env.command == .version {
                return Output(exitCode: 0, stdout: versionJSON(plugin.supportedVersions))
            }
            let config = try NetworkConfig(decoding: stdin)
            version = config.cniVersion
            try checkVersion(config.cniVersion, command: env.command, supported: plugin.supportedVersions)
            let call = CNICall(environment: env, config: config, stdin: stdin, processEnvironment: environment)
            switch env.command {
            case .add:
                let result = try plugin.add(call)
                return Output(exitCode: 0, stdout: try result.encoded(as: config.cniVersion))
            case .del: try plugin.del(call)
            case .check: try plugin.check(call)
            case .status: try plugin.status(call)
            case .gc: try plugin.gc(call)
            case .version: break
            }
            return Output(exitCode: 0)
        } catch {
            return Output(exitCode: 1, stdout: error.encoded(cniVersion: version))
        }
    }

    /// The VERSION answer: `{"cniVersion":"1.1.0","supportedVersions":[…]}`.
    public static func versionJSON(_ supported: [String]) -> [UInt8] {
        JSONValue.object(["cniVersion": .string(CNIVersion.latest),
                          "supportedVersions": .array(supported.map { .string($0) })]).encoded()
    }

    /// Code 1 unless the plugin supports `version` and the command exists in it
    /// (CHECK from 0.4.0, STATUS and GC from 1.1.0).
    public static func checkVersion(_ version: String, command: CNICommand, supported: [String]) throws(CNIError) {
        guard supported.contains(version) else {
            throw CNIError(CNIError.incompatibleVersion, "incompatible CNI versions",
                           details: "config is \"\(version)\", plugin supports [\(supported.joined(separator: ", "))]")
        }
        if let minimum = command.minimumVersion, !CNIVersion.isAtLeast(version, minimum) {
            throw CNIError(CNIError.incompatibleVersion, "config version \(version) does not allow \(command)",
                           details: "\(command) needs cniVersion \(minimum) or later")
        }
    }

    static func aboutText(_ plugin: some CNIPlugin) -> String {
        "\(plugin.about)\nCNI protocol versions supported: \(plugin.supportedVersions.joined(separator: ", "))\n"
    }

    /// Runs the plugin as a process: reads the environment and (except for VERSION) all of
    /// stdin, writes stdout and stderr, and exits with the call's exit code.
    public static func main(_ plugin: some CNIPlugin) -> Never {
        let environment = Posix.environment()
        var stdin: [UInt8] = []
        if environment["CNI_COMMAND"] != CNICommand.version.rawValue {
            do throws(CNIError) {
                stdin = try Posix.readAll(fd: 0)
            } catch {
                Posix.writeAll(fd: 1, error.encoded())
                Posix.exit(1)
            }
        }
        let out = run(plugin: plugin, environment: environment, stdin: stdin)
        Posix.writeAll(fd: 1, out.stdout)
        Posix.writeAll(fd: 2, out.stderr)
        Posix.exit(out.exitCode)
    }
}
