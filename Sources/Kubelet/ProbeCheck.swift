import Foundation
import KubeAPI
import NetNS

/// One attempt of a probe: exec inside the pod's namespace, tcpSocket and httpGet from the
/// node's namespace to the pod IP, as the kubelet does.
public struct ProbeCheck: Sendable {
    /// Where the probe runs and what it connects to.
    public struct Target: Sendable {
        public var podIP: String
        /// The pod's namespace (exec probes).
        public var pod: NetNS?
        /// The node's namespace (network probes); nil: the kubelet's own.
        public var node: NetNS?
        /// The container's environment for exec probes.
        public var environment: [String]
        public var ports: [ContainerPort]
        public init(podIP: String, pod: NetNS?, node: NetNS?, environment: [String], ports: [ContainerPort]) {
            self.podIP = podIP; self.pod = pod; self.node = node; self.environment = environment; self.ports = ports
        }
    }

    public enum Outcome: Equatable, Sendable {
        case success
        case failure(String)
        public var succeeded: Bool { self == .success }
    }

    public var probe: Probe
    public var target: Target

    public init(probe: Probe, target: Target) { self.probe = probe; self.target = target }

    public var timeout: Duration { .seconds(max(1, Int(probe.timeoutSeconds ?? 1))) }

    /// Runs the probe once, never longer than its timeout (plus process start-up).
    public func run() async -> Outcome {
        let deadline = Date().addingTimeInterval(TimeInterval(max(1, probe.timeoutSeconds ?? 1)))
        if let exec = probe.exec { return await runExec(exec.command ?? [], deadline: deadline) }
        if let tcp = probe.tcpSocket {
            guard let port = resolve(tcp.port) else { return .failure("unknown port \(tcp.port)") }
            let host = tcp.host ?? target.podIP
            return await network { () throws(KubeletError) in
                ProbeSocket.closeSocket(try ProbeSocket.connect(host: host, port: port, deadline: deadline))
                return .success
            }
        }
        if let http = probe.httpGet {
            guard let port = resolve(http.port) else { return .failure("unknown port \(http.port)") }
            if (http.scheme ?? "HTTP").uppercased() == "HTTPS" { return .failure("HTTPS probes are not supported") }
            let host = http.host ?? target.podIP
            let request = Self.httpRequest(http, host: host, port: port)
            return await network { () throws(KubeletError) in
                let fd = try ProbeSocket.connect(host: host, port: port, deadline: deadline)
                defer { ProbeSocket.closeSocket(fd) }
                let reply = try ProbeSocket.exchange(fd, send: request, deadline: deadline, what: "\(host):\(port)") {
                    $0.contains(UInt8(ascii: "\n"))
                }
                return Self.httpOutcome(reply)
            }
        }
        return .failure("probe has no supported handler (exec, tcpSocket, httpGet)")
    }

    /// A numeric port, or a named container port.
    func resolve(_ port: IntOrString) -> Int? {
        switch port {
        case .int(let n): return n > 0 ? Int(n) : nil
        case .string(let name): return target.ports.first { $0.name == name }.map { Int($0.containerPort) }
        }
    }

    private func network(_ body: @escaping @Sendable () throws(KubeletError) -> Outcome) async -> Outcome {
        let node = target.node
        do {
            return try await offPool {
                try inNamespace(node) {
                    do throws(KubeletError) { return try body() } catch { return .failure(error.description) }
                }
            }
        } catch {
            return .failure("\(error)")
        }
    }

    private func runExec(_ command: [String], deadline: Date) async -> Outcome {
        guard let program = command.first,
              let executable = ContainerCommand.lookup(program, path: pathVariable, workingDirectory: nil,
                                                       isExecutable: Posix.isExecutableFile) else {
            return .failure("exec probe: command \(command) not found")
        }
        let request = SpawnRequest(executable: executable, arguments: command, environment: target.environment,
                                   workingDirectory: nil, outputPath: nil)
        let latch = ExitLatch()
        let pod = target.pod
        let pid: pid_t
        do {
            pid = try await offPool { try ProcessReaper.shared.spawn(request, in: pod) { latch.fire($0) } }
        } catch {
            return .failure("exec probe: \(error)")
        }
        let killer = Task {
            try await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow)))
            if latch.value == nil { Posix.signalGroup(pid, SIGKILL) }
        }
        let status = await latch.wait()
        killer.cancel()
        Posix.signalGroup(pid, SIGKILL)
        if status.code == 0 { return .success }
        return .failure(Date() >= deadline ? "exec probe timed out" : "exec probe: \(status)")
    }

    private var pathVariable: String {
        target.environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ContainerCommand.defaultPath
    }

    /// The request the kubelet sends: GET with Host, `User-Agent: kube-probe/…`, `Accept: */*`
    /// and the probe's headers (which may override those).
    static func httpRequest(_ action: HTTPGetAction, host: String, port: Int) -> [UInt8] {
        var path = action.path ?? "/"
        if !path.hasPrefix("/") { path = "/" + path }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var headers: [(String, String)] = [("Host", hostHeader), ("User-Agent", "kube-probe/1.32"), ("Accept", "*/*")]
        for h in action.httpHeaders ?? [] {
            if let i = headers.firstIndex(where: { $0.0.lowercased() == h.name.lowercased() }) {
                headers[i].1 = h.value
            } else {
                headers.append((h.name, h.value))
            }
        }
        headers.append(("Connection", "close"))
        var text = "GET \(path) HTTP/1.1\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Success for a status code from 200 to 399, as the kubelet decides.
    static func httpOutcome(_ reply: [UInt8]) -> Outcome {
        let line = String(decoding: reply.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failure("HTTP probe: malformed response \"\(line.prefix(80))\"")
        }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
