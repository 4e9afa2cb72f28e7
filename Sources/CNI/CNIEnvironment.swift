/// The validated `CNI_*` variables of one plugin call.
///
/// Variables a command does not need are kept if present, and are empty strings if not
/// (e.g. `netns` on a DEL after the namespace is gone, or everything but `command` on GC).
public struct CNIEnvironment: Equatable, Sendable {
    public var command: CNICommand
    public var containerID: String
    public var netns: String
    public var ifName: String
    public var args: CNIArgs
    /// `CNI_PATH` split on `:` (empty entries dropped).
    public var path: [String]

    public init(command: CNICommand, containerID: String = "", netns: String = "", ifName: String = "",
                args: CNIArgs = CNIArgs(), path: [String] = []) {
        self.command = command; self.containerID = containerID; self.netns = netns
        self.ifName = ifName; self.args = args; self.path = path
    }

    /// Reads and validates the variables for the command in `CNI_COMMAND`.
    ///
    /// Every failure is code 4 (invalid environment) with the variable named in the message.
    /// VERSION needs nothing else; STATUS and GC need no container, interface or netns.
    public init(parsing env: [String: String]) throws(CNIError) {
        let rawCommand = env["CNI_COMMAND"] ?? ""
        guard !rawCommand.isEmpty else {
            throw Self.invalid("CNI_COMMAND is not set",
                               "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let command = CNICommand(rawValue: rawCommand) else {
            throw Self.invalid("unknown CNI_COMMAND \"\(rawCommand)\"",
                               "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(command: command)
        guard command != .version else { return }

        var missing: [String] = []
        if command.needsAttachment {
            if env["CNI_CONTAINERID", default: ""].isEmpty { missing.append("CNI_CONTAINERID") }
            if command.needsNetNS && env["CNI_NETNS", default: ""].isEmpty { missing.append("CNI_NETNS") }
            if env["CNI_IFNAME", default: ""].isEmpty { missing.append("CNI_IFNAME") }
        }
        guard missing.isEmpty else {
            throw Self.invalid("required environment variables missing for \(command): \(missing.joined(separator: ", "))")
        }

        containerID = env["CNI_CONTAINERID"] ?? ""
        netns = env["CNI_NETNS"] ?? ""
        ifName = env["CNI_IFNAME"] ?? ""
        if !containerID.isEmpty { try Self.validateContainerID(containerID) }
        if !ifName.isEmpty { try Self.validateInterfaceName(ifName) }
        if !netns.isEmpty && !netns.hasPrefix("/") {
            throw Self.invalid("CNI_NETNS must be an absolute path, got \"\(netns)\"")
        }
        args = try CNIArgs(parsing: env["CNI_ARGS"] ?? "")
        path = (env["CNI_PATH"] ?? "").split(separator: ":").map(String.init)
    }

    /// The variables as a runtime sets them for this call (empty ones left out).
    public var variables: [String: String] {
        var v = ["CNI_COMMAND": command.rawValue]
        for (key, value) in [("CNI_CONTAINERID", containerID), ("CNI_NETNS", netns), ("CNI_IFNAME", ifName),
                             ("CNI_ARGS", args.description), ("CNI_PATH", path.joined(separator: ":"))]
        where !value.isEmpty {
            v[key] = value
        }
        return v
    }

    /// Spec: a container ID starts with an alphanumeric character, followed by alphanumerics,
    /// `_`, `.` or `-`. Code 4 otherwise.
    public static func validateContainerID(_ id: String) throws(CNIError) {
        guard isSpecIdentifier(id) else {
            throw invalid("invalid CNI_CONTAINERID \"\(id)\"", "must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")
        }
    }

    /// Spec: not empty, at most 15 bytes (IFNAMSIZ - 1), not `.` or `..`, and no `/`, `:` or
    /// whitespace. Code 4 otherwise.
    public static func validateInterfaceName(_ name: String) throws(CNIError) {
        let problem: String? =
            if name.isEmpty { "is empty" }
            else if name.utf8.count > 15 { "is longer than 15 bytes" }
            else if name == "." || name == ".." { "must not be \".\" or \"..\"" }
            else if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
                "must not contain '/', ':' or whitespace"
            } else { nil }
        if let problem { throw invalid("invalid CNI_IFNAME \"\(name)\": \(problem)") }
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`, the spec's pattern for container IDs and network names.
    static func isSpecIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, isAlnum(first) else { return false }
        return s.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
    }

    private static func invalid(_ msg: String, _ details: String = "") -> CNIError {
        CNIError(CNIError.invalidEnvironment, msg, details: details)
    }
}
