/// Executing CNI plugins the way a runtime does: find the binary by `type` in `CNI_PATH`, set
/// the `CNI_*` variables, write the configuration to stdin and read a result or an error.
///
/// Used by plugins to delegate (a main plugin calling its IPAM plugin) and by runtimes.
public enum CNIExec {
    /// The first `dir/type` in `path` that is an executable regular file.
    ///
    /// Code 7 if `type` is not a plain file name; code 4 if no directory has it.
    public static func find(type: String, in path: [String]) throws(CNIError) -> String {
        guard !type.isEmpty, !type.contains("/"), type != ".", type != ".." else {
            throw CNIError(CNIError.invalidConfig, "invalid plugin type \"\(type)\": must be a file name")
        }
        for dir in path where !dir.isEmpty {
            let candidate = dir.hasSuffix("/") ? dir + type : dir + "/" + type
            if Posix.isExecutableFile(candidate) { return candidate }
        }
        throw CNIError(CNIError.invalidEnvironment, "failed to find plugin \"\(type)\" in CNI_PATH",
                       details: "searched [\(path.joined(separator: ", "))]")
    }

    /// Runs plugin `type` from the call's `CNI_PATH` with the call's process environment, only
    /// `CNI_COMMAND` changed, and `config` (the call's stdin by default) on stdin. This is how
    /// a main plugin calls its IPAM plugin.
    ///
    /// Returns the result for ADD (nil for other commands); the delegate's error JSON becomes
    /// a `CNIError` with the delegate's own code.
    public static func delegate(type: String, command: CNICommand, call: CNICall,
                                config: [UInt8]? = nil) throws(CNIError) -> CNIResult? {
        let binary = try find(type: type, in: call.environment.path)
        var env = call.processEnvironment
        env["CNI_COMMAND"] = command.rawValue
        return try invoke(binary, command: command, environment: env, config: config ?? call.stdin).get()
    }

    /// Runs the plugin at `pluginPath` as a runtime would, with this process's environment
    /// (without any `CNI_*` variables) plus the given ones.
    public static func run(pluginPath: String, command: CNICommand, containerID: String = "",
                           netns: String = "", ifName: String = "", args: CNIArgs = CNIArgs(),
                           path: [String] = [], config: [UInt8]) -> Result<CNIResult?, CNIError> {
        let cni = CNIEnvironment(command: command, containerID: containerID, netns: netns, ifName: ifName,
                                 args: args, path: path)
        return invoke(pluginPath, command: command,
                      environment: environment(base: Posix.environment(), cni: cni), config: config)
    }

    /// Asks the plugin at `pluginPath` which spec versions it supports (VERSION).
    /// Code 6 if the answer has no `supportedVersions` list.
    public static func supportedVersions(pluginPath: String) -> Result<[String], CNIError> {
        let env = environment(base: Posix.environment(), cni: CNIEnvironment(command: .version))
        do throws(CNIError) {
            let done = try Posix.spawn(path: pluginPath, arguments: [], environment: env, stdin: [])
            _ = try interpret(binary: pluginPath, command: .version, exitCode: done.exitCode,
                              stdout: done.stdout, stderr: done.stderr)
            let answer = try JSONValue(parsing: done.stdout)
            guard let list = answer["supportedVersions"]?.arrayValue?.compactMap(\.stringValue) else {
                throw CNIError(CNIError.decodeFailure, "plugin \(pluginPath) VERSION printed no supportedVersions")
            }
            return .success(list)
        } catch {
            return .failure(error)
        }
    }

    /// `base` without its `CNI_*` variables, plus those of `cni`.
    public static func environment(base: [String: String], cni: CNIEnvironment) -> [String: String] {
        base.filter { !$0.key.hasPrefix("CNI_") }.merging(cni.variables) { _, new in new }
    }

    /// Runs the binary and interprets what it printed.
    static func invoke(_ binary: String, command: CNICommand, environment: [String: String],
                       config: [UInt8]) -> Result<CNIResult?, CNIError> {
        do throws(CNIError) {
            let done = try Posix.spawn(path: binary, arguments: [], environment: environment,
                                       stdin: command == .version ? [] : config)
            return .success(try interpret(binary: binary, command: command, exitCode: done.exitCode,
                                          stdout: done.stdout, stderr: done.stderr))
        } catch {
            return .failure(error)
        }
    }

    /// What a plugin's exit code and output mean (pure; see `invoke`).
    ///
    /// Exit 0: the decoded result for ADD (code 6 if stdout is not one), nil otherwise.
    /// Non-zero: the plugin's error JSON as a `CNIError`; without one, code 103 with stderr
    /// (or stdout) in `details`.
    public static func interpret(binary: String, command: CNICommand, exitCode: Int32,
                                 stdout: [UInt8], stderr: [UInt8]) throws(CNIError) -> CNIResult? {
        let name = binary.split(separator: "/").last.map(String.init) ?? binary
        guard exitCode == 0 else {
            if let json = try? JSONValue(parsing: stdout), let e = CNIError(json: json) { throw e }
            let text = String(decoding: stderr.isEmpty ? stdout : stderr, as: UTF8.self)
            throw CNIError(CNIError.delegateFailure, "plugin \(name) \(command) failed with exit code \(exitCode)",
                           details: String(text.prefix(4096)))
        }
        guard command == .add else { return nil }
        do throws(CNIError) {
            return try CNIResult(decoding: stdout)
        } catch {
            throw CNIError(error.code, "plugin \(name) ADD printed an invalid result: \(error.msg)", details: error.details)
        }
    }
}
