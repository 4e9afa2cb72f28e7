import CNI
import Foundation
import IPAM
import NetAddr
import Testing

// Separate plugin PROCESSES sharing one FileStore. Each worker is this test binary started
// again with only `storeWorkerProcess` selected: fork() alone is not safe here, because a
// child of the multi-threaded test process can deadlock on a lock another thread held at
// fork time (seen: one child in ten hung). A fresh exec'd image has no such locks.

private enum WorkerEnvironment {
    static let mode = "IPAM_TEST_WORKER"            // "add10" or "loop"
    static let dir = "IPAM_TEST_WORKER_DIR"
    static let subnet = "IPAM_TEST_WORKER_SUBNET"
    static let tag = "IPAM_TEST_WORKER_TAG"
}

/// Starts a worker process. Its stderr goes to `<dir>/<tag>.stderr` for failure messages.
private func spawnWorker(mode: String, dir: String, subnet: String, tag: String) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    p.arguments = ["--testing-library", "swift-testing", "--filter", "storeWorkerProcess"]
    var env = ProcessInfo.processInfo.environment
    env[WorkerEnvironment.mode] = mode
    env[WorkerEnvironment.dir] = dir
    env[WorkerEnvironment.subnet] = subnet
    env[WorkerEnvironment.tag] = tag
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    _ = FileManager.default.createFile(atPath: "\(dir)/\(tag).stderr", contents: nil)
    p.standardError = FileHandle(forWritingAtPath: "\(dir)/\(tag).stderr")
    try p.run()
    return p
}

/// Waits for `p` to end; SIGKILLs it past the deadline. Returns whether it ended by itself.
@discardableResult
private func reap(_ p: Process, timeout: Double = 60) -> Bool {
    let ended = eventually(timeout: timeout) { !p.isRunning }
    if !ended { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    return ended
}

private func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

@Suite struct StoreProcessTests {
    /// A no-op in a normal run; the body of a worker process when the environment says so.
    @Test func storeWorkerProcess() {
        let env = ProcessInfo.processInfo.environment
        guard let mode = env[WorkerEnvironment.mode], let dir = env[WorkerEnvironment.dir],
              let subnet = env[WorkerEnvironment.subnet], let tag = env[WorkerEnvironment.tag] else { return }
        do {
            let config = try fileConfig(dir, subnet: subnet)
            let plugin = IPAMPlugin()
            switch mode {
            case "add10":
                // Start together so that the processes really contend for the lock.
                _ = eventually(timeout: 30) { access("\(dir)/go", F_OK) == 0 }
                for i in 0..<10 { _ = try plugin.add(config: config, containerID: "\(tag)-\(i)", ifName: "eth0") }
            default:
                var k = 0
                while true {
                    _ = try plugin.add(config: config, containerID: "\(tag)-\(k)", ifName: "eth0")
                    if k % 3 == 2 { try plugin.del(config: config, containerID: "\(tag)-\(k - 1)", ifName: "eth0") }
                    k += 1
                }
            }
            _exit(0)
        } catch {
            FileHandle.standardError.write(Data("worker \(tag): \(error)\n".utf8))
            _exit(1)
        }
    }

    @Test func hundredAllocationsFromTenProcessesNeverDuplicate() throws {
        try withTemporaryDirectory { dir in
            let subnet = "10.30.0.0/24"
            let workers = try (0..<10).map { try spawnWorker(mode: "add10", dir: dir, subnet: subnet, tag: "p\($0)") }
            _ = FileManager.default.createFile(atPath: "\(dir)/go", contents: nil)
            for (i, w) in workers.enumerated() {
                reap(w)
                let err = (try? String(contentsOfFile: "\(dir)/p\(i).stderr", encoding: .utf8)) ?? ""
                #expect(w.terminationReason == .exit && w.terminationStatus == 0, "worker p\(i): \(err)")
            }
            let all = try IPAMPlugin().list(config: try fileConfig(dir, subnet: subnet))
            #expect(all.count == 100)
            // A fresh /24 hands out .2 … .101, whichever process got which.
            #expect(Set(all.map(\.ip)) == Set((2...101).map { ip("10.30.0.\($0)") }))
            #expect(Set(all.map(\.containerID)).count == 100)
        }
    }

    @Test func sigkillAtRandomMomentsNeverCorruptsTheState() throws {
        try withTemporaryDirectory { dir in
            let subnet = "10.20.0.0/16"
            let config = try fileConfig(dir, subnet: subnet)
            let store = FileStore(dataDir: dir)
            var generator = SystemRandomNumberGenerator()
            for round in 0..<50 {
                let tag = "r\(round)"
                let w = try spawnWorker(mode: "loop", dir: dir, subnet: subnet, tag: tag)
                // Kill it mid-loop: after its first ADD landed, at a random moment.
                let started = eventually(timeout: 30) {
                    ((try? store.load(network: "net"))?.allocations ?? []).contains { $0.containerID.hasPrefix("\(tag)-") }
                }
                usleep(UInt32.random(in: 0...15_000, using: &generator))
                kill(w.processIdentifier, SIGKILL)
                reap(w)
                let err = (try? String(contentsOfFile: "\(dir)/\(tag).stderr", encoding: .utf8)) ?? ""
                #expect(started, "round \(round): no ADD landed. \(err)")
                #expect(w.terminationReason == .uncaughtSignal && w.terminationStatus == SIGKILL,
                        "round \(round): worker ended by itself: \(err)")
            }
            let state = try store.load(network: "net")  // parses; decoding rejects an address held twice
            #expect(state.allocations.count >= 50)
            #expect(Set(state.allocations.map(\.ip)).count == state.allocations.count)
            #expect(Set(directoryContents("\(dir)/net")).isSubset(of: ["lock", "state", "state.tmp"]))
            let released = try IPAMPlugin().gc(config: config, validAttachments: [])
            #expect(released.count == state.allocations.count)
            #expect(try IPAMPlugin().list(config: config).isEmpty)
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
        }
    }
}
