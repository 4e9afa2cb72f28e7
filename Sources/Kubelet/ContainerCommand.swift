import KubeAPI

/// What one container runs, resolved from the pod spec without any container image: argv is
/// `command + args` (an image's entrypoint does not exist here, so one of them must name the
/// program), the environment is the container's `env` with `$(VAR)` references expanded, and
/// the program is looked up on the container's own `PATH`.
public struct ContainerCommand: Equatable, Sendable {
    public var executable: String
    public var arguments: [String]
    /// `KEY=VALUE` in the order the variables were defined.
    public var environment: [String]
    public var workingDirectory: String?

    /// `PATH` when the container sets none (the usual image default).
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Values a `fieldRef` can name, filled in by the caller from the pod and its sandbox.
    public struct PodFields: Sendable {
        public var podIPs: [String]
        public var hostIPs: [String]
        public init(podIPs: [String] = [], hostIPs: [String] = []) { self.podIPs = podIPs; self.hostIPs = hostIPs }
    }

    /// Resolves `container` of `pod`. `extra` variables (the service variables) come first and
    /// are overridden by the container's own. `isExecutable` is the file test (injected for tests).
    public static func resolve(_ container: Container, pod: Pod, fields: PodFields,
                               extra: [(String, String)] = [],
                               isExecutable: ((String) -> Bool)? = nil) throws(KubeletError) -> ContainerCommand {
        let isExecutable = isExecutable ?? Posix.isExecutableFile
        var names: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { names.append(name) }
            values[name] = value
        }
        for (name, value) in extra { set(name, value) }
        for variable in container.env ?? [] {
            if let value = variable.value {
                set(variable.name, expand(value, values))
            } else if let source = variable.valueFrom {
                guard let value = try fieldValue(source, pod: pod, fields: fields, variable: variable.name) else { continue }
                set(variable.name, value)
            } else {
                set(variable.name, "")
            }
        }
        let argv = ((container.command ?? []) + (container.args ?? [])).map { expand($0, values) }
        guard let program = argv.first, !program.isEmpty else {
            throw KubeletError("resolve container", container.name,
                               detail: "no command: Trellis runs no images, so command or args must name a program")
        }
        let path = values["PATH"] ?? defaultPath
        if values["PATH"] == nil { set("PATH", path) }
        if values["HOSTNAME"] == nil { set("HOSTNAME", pod.spec?.hostname ?? pod.name) }
        guard let executable = lookup(program, path: path, workingDirectory: container.workingDir, isExecutable: isExecutable) else {
            throw KubeletError("resolve container", container.name, detail: "executable \"\(program)\" not found in PATH \(path)")
        }
        return ContainerCommand(executable: executable, arguments: argv,
                                environment: names.map { "\($0)=\(values[$0]!)" },
                                workingDirectory: container.workingDir)
    }

    /// `program` itself if it has a slash (relative to the working directory), else the first
    /// executable `dir/program` on `path`.
    static func lookup(_ program: String, path: String, workingDirectory: String?,
                       isExecutable: (String) -> Bool) -> String? {
        if program.contains("/") {
            if program.hasPrefix("/") { return program }
            return (workingDirectory.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + program
        }
        for dir in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(dir)/\(program)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// Kubernetes' `$(VAR)` expansion: a defined variable is replaced, an undefined reference is
    /// kept as written, `$$` is a literal `$`.
    public static func expand(_ text: String, _ values: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            guard c == "$", next < text.endIndex else { out.append(c); i = next; continue }
            if text[next] == "$" { out.append("$"); i = text.index(after: next); continue }
            if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                let name = String(text[text.index(after: next)..<close])
                if let value = values[name] { out += value } else { out += text[i...close] }
                i = text.index(after: close)
                continue
            }
            out.append(c)
            i = next
        }
        return out
    }

    /// The value of a `valueFrom` source; nil to leave the variable out (an optional reference
    /// that cannot be resolved). ConfigMap and Secret references need the API and are not
    /// resolved here yet.
    static func fieldValue(_ source: JSONValue, pod: Pod, fields: PodFields, variable: String) throws(KubeletError) -> String? {
        guard case .object(let o) = source else { return nil }
        if case .object(let ref)? = o["fieldRef"], case .string(let path)? = ref["fieldPath"] {
            if let value = podField(path, pod: pod, fields: fields) { return value }
            throw KubeletError("resolve env", variable, detail: "unsupported fieldPath \(path)")
        }
        for key in ["configMapKeyRef", "secretKeyRef", "resourceFieldRef"] {
            guard case .object(let ref)? = o[key] else { continue }
            if case .bool(true)? = ref["optional"] { return nil }
            throw KubeletError("resolve env", variable, detail: "\(key) is not supported by the Trellis kubelet")
        }
        return nil
    }

    /// The downward API's `fieldRef` paths.
    static func podField(_ path: String, pod: Pod, fields: PodFields) -> String? {
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace ?? "default"
        case "metadata.uid": return pod.metadata.uid ?? ""
        case "spec.nodeName": return pod.spec?.nodeName ?? ""
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? "default"
        case "status.podIP": return fields.podIPs.first ?? ""
        case "status.podIPs": return fields.podIPs.joined(separator: ",")
        case "status.hostIP": return fields.hostIPs.first ?? ""
        case "status.hostIPs": return fields.hostIPs.joined(separator: ",")
        default:
            for (prefix, map) in [("metadata.labels", pod.metadata.labels), ("metadata.annotations", pod.metadata.annotations)] {
                guard path.hasPrefix(prefix + "['"), path.hasSuffix("']") else { continue }
                let key = String(path.dropFirst(prefix.count + 2).dropLast(2))
                return map?[key] ?? ""
            }
            return nil
        }
    }
}
