import Foundation

/// The directory holding the package's built executables (beside the test binary).
public let builtProductsDirectory: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The xctest bundle may be a directory on some layouts.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("trellis-bridge").path),
          dir.path != "/" {
        dir.deleteLastPathComponent()
    }
    return dir.path
}()

/// Reference plugins from Debian's containernetworking-plugins.
public let referencePluginDirectory = "/usr/lib/cni"

/// What a runtime passes to a plugin.
public struct PluginCall: Sendable {
    public var command: String?
    public var containerID: String?
    public var netns: String?
    public var ifName: String?
    public var args: String?
    public var path: String?
    public var config: String
    /// Extra or overriding environment entries (a nil value removes the variable).
    public var extra: [String: String?] = [:]

    public init(command: String?, containerID: String? = nil, netns: String? = nil, ifName: String? = nil,
                args: String? = nil, path: String? = nil, config: String) {
        self.command = command; self.containerID = containerID; self.netns = netns
        self.ifName = ifName; self.args = args; self.path = path; self.config = config
    }

    var environment: [String: String] {
        var env: [String: String] = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        env["CNI_COMMAND"] = command
        env["CNI_CONTAINERID"] = containerID
        env["CNI_NETNS"] = netns
        env["CNI_IFNAME"] = ifName
        env["CNI_ARGS"] = args
        env["CNI_PATH"] = path
        for (k, v) in extra { env[k] = v }
        return env
    }
}

/// A plugin's exit status and stdout, with the JSON decoded.
public struct PluginOutput: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }

    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
    /// The CNI error code, if the output is an error.
    public var errorCode: Int? { status == 0 ? nil : json["code"] as? Int }
    public var description: String { "exit \(status): \(stdout) \(stderr)" }
}

/// Runs a plugin binary the way a container runtime does: environment + config on stdin,
/// from inside `node` (the namespace playing the host), never the real host namespace.
public func runPlugin(_ binary: String, _ call: PluginCall, in node: ScratchNamespace) throws -> PluginOutput {
    let r = try shell(["nsenter", "--net=\(node.path)", "--", binary], stdin: call.config,
                      environment: call.environment, check: false)
    return PluginOutput(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

/// A temporary directory removed when the object goes away.
public final class ScratchDirectory: @unchecked Sendable {
    public let path: String
    public init() throws {
        path = NSTemporaryDirectory() + "trellis-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
