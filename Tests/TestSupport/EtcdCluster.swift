import Foundation

/// A real etcd cluster of `members` on loopback, in a scratch directory; stopped and removed by `stop()`.
public final class EtcdCluster: @unchecked Sendable {
    public let dir: ScratchDirectory
    public private(set) var processes: [BackgroundProcess?] = []
    public let clientURLs: [String]

    public init(members: Int) throws {
        dir = try ScratchDirectory()
        // Below the fixtures' 20000-32000 and the ephemeral range, so neither can collide with it.
        let base = Int.random(in: 10000...19990)
        let names = (0..<members).map { "m\($0)" }
        clientURLs = (0..<members).map { "http://127.0.0.1:\(base + 2 * $0)" }
        let peerURLs = (0..<members).map { "http://127.0.0.1:\(base + 2 * $0 + 1)" }
        let initial = zip(names, peerURLs).map { "\($0)=\($1)" }.joined(separator: ",")
        for i in 0..<members {
            let args = ["etcd", "--name", names[i], "--data-dir", dir.path + "/" + names[i],
                        "--listen-client-urls", clientURLs[i], "--advertise-client-urls", clientURLs[i],
                        "--listen-peer-urls", peerURLs[i], "--initial-advertise-peer-urls", peerURLs[i],
                        "--initial-cluster", initial, "--initial-cluster-state", "new",
                        "--initial-cluster-token", "t\(base)", "--log-level", "error"]
            processes.append(try BackgroundProcess(["sh", "-c", "exec " + args.joined(separator: " ") + " > \(dir.path)/\(names[i]).log 2>&1"]))
        }
        let healthy = eventually(timeout: 30) {
            self.clientURLs.allSatisfy { url in
                (try? shell(["curl", "-s", "--max-time", "1", url + "/health"], check: false).stdout.contains("\"health\":\"true\"")) ?? false
            }
        }
        if !healthy {
            stop()
            throw EtcdClusterError.unhealthy((try? String(contentsOfFile: dir.path + "/m0.log", encoding: .utf8)) ?? "")
        }
    }

    public func kill(_ member: Int) {
        processes[member]?.signal(SIGKILL)
        _ = processes[member]?.wait()
        processes[member] = nil
    }

    public func stop() {
        for p in processes { p?.stop() }
        processes = []
    }
}

public enum EtcdClusterError: Error { case unhealthy(String) }

public func withEtcd<T>(members: Int = 1, _ body: (EtcdCluster) async throws -> T) async throws -> T {
    let cluster = try EtcdCluster(members: members)
    defer { cluster.stop() }
    return try await body(cluster)
}


/// One etcd member for the whole test process (tests share it under distinct key prefixes),
/// started on first use and killed when the process exits.
public enum SharedEtcd {
    nonisolated(unsafe) private static var pid: pid_t = 0
    public static let cluster: EtcdCluster = {
        let c = try! EtcdCluster(members: 1)
        pid = c.processes.first??.pid ?? 0
        atexit {
            if SharedEtcd.pid > 0 { kill(-SharedEtcd.pid, SIGKILL); kill(SharedEtcd.pid, SIGKILL) }
        }
        return c
    }()
}
