import CNI
import Foundation
import IPAM
import NetAddr
import Synchronization
import Testing

/// A config for network `net` in `dir`, one /16 so that crash loops never exhaust it.
func fileConfig(_ dir: String, subnet: String = "10.20.0.0/16") throws -> IPAMConfig {
    try ipamConfig(#"{"type":"host-local","dataDir":"\#(dir)","ranges":[[{"subnet":"\#(subnet)"}]]}"#, name: "net")
}

@Suite struct FileStoreTests {
    @Test func persistsAcrossReopenInOneStateFile() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            for i in 0..<3 { _ = try IPAMPlugin().add(config: config, containerID: "c\(i)", ifName: "eth0") }
            try IPAMPlugin().del(config: config, containerID: "c1", ifName: "eth0")
            // A new store over the same directory sees the same state and continues round-robin.
            let reopened = FileStore(dataDir: dir)
            #expect(try reopened.load(network: "net").description == """
                10.20.0.2 c0 eth0
                10.20.0.4 c2 eth0
                last[0] 10.20.0.4
                """)
            let next = try IPAMPlugin(store: reopened).add(config: config, containerID: "c3", ifName: "eth0")
            #expect(next.ips.map { "\($0.address)" } == ["10.20.0.5/16"])
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
            let file = try stateFileBytes("\(dir)/net/state")
            #expect(file.count == 2 * 64 * 1024)
            let text = String(decoding: try #require(newestSlot(file)).payload, as: UTF8.self)
            #expect(text.hasPrefix(#"{"allocations":[{"containerID":"c0","ifName":"eth0","ip":"10.20.0.2"},"#))
        }
    }

    @Test func tornTempFileIsIgnoredAndRemoved() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            _ = try IPAMPlugin().add(config: config, containerID: "c0", ifName: "eth0")
            try "TRIPAM1\0garbage".write(toFile: "\(dir)/net/state.tmp", atomically: false, encoding: .utf8)
            #expect(try IPAMPlugin().list(config: config).count == 1)
            try IPAMPlugin().del(config: config, containerID: "nobody", ifName: "eth0")  // changes nothing
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
            try "garbage".write(toFile: "\(dir)/net/state.tmp", atomically: false, encoding: .utf8)
            _ = try IPAMPlugin().add(config: config, containerID: "c1", ifName: "eth0")        // changes state
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
            #expect(try IPAMPlugin().list(config: config).count == 2)
        }
    }

    @Test func corruptStateFileIsAnErrorNotAFreshStart() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            _ = try IPAMPlugin().add(config: config, containerID: "c0", ifName: "eth0")
            let path = "\(dir)/net/state"
            for junk in ["{not json", ""] {  // wrong size, and empty: we never make either
                try junk.write(toFile: path, atomically: false, encoding: .utf8)
                let e = cniError { _ = try IPAMPlugin().add(config: config, containerID: "c1", ifName: "eth0") }
                #expect(e?.code == CNIError.ioFailure)
                #expect(e?.msg.hasPrefix("state file \(path) is unreadable") == true)
                #expect(try String(contentsOfFile: path, encoding: .utf8) == junk)
                #expect(cniError { try IPAMPlugin().status(config: config) }?.code == CNIError.notAvailable)
                #expect(cniError { _ = try FileStore(dataDir: dir, lockTimeout: 1).load(network: "net") }?.code == CNIError.ioFailure)
            }
        }
    }

    @Test func delOfUnknownNetworkCreatesNothing() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            try IPAMPlugin().del(config: config, containerID: "c0", ifName: "eth0")
            #expect(cniError { try IPAMPlugin().check(config: config, containerID: "c0", ifName: "eth0") }?.code == CNIError.checkFailed)
            #expect(directoryContents(dir).isEmpty)
        }
    }

    @Test func badNetworkNamesNeverTouchTheDisk() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            for name in ["", ".", "..", "a/b", "../escape"] {
                #expect(cniError { _ = try store.update(network: name) { _ in } }?.code == CNIError.invalidConfig)
                #expect(cniError { _ = try store.load(network: name) }?.code == CNIError.invalidConfig)
            }
            #expect(directoryContents(dir).isEmpty)
        }
    }

    @Test func heldLockTimesOutWithTryAgainLater() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            _ = try IPAMPlugin().add(config: config, containerID: "c0", ifName: "eth0")
            let fd = open("\(dir)/net/lock", O_RDWR)
            defer { close(fd) }
            #expect(flock(fd, LOCK_EX) == 0)
            let store = FileStore(dataDir: dir, lockTimeout: 0.2)
            let e = cniError { _ = try IPAMPlugin(store: store).add(config: config, containerID: "c1", ifName: "eth0") }
            #expect(e?.code == CNIError.tryAgainLater)
        }
    }

    @Test func statusNeedsAWritableDataDir() throws {
        try withTemporaryDirectory { dir in
            try IPAMPlugin().status(config: try fileConfig(dir))
            try "file".write(toFile: "\(dir)/blocker", atomically: false, encoding: .utf8)
            let e = cniError { try IPAMPlugin().status(config: try fileConfig("\(dir)/blocker")) }
            #expect(e?.code == CNIError.notAvailable)
        }
    }

    @Test func threadsWithSeparateStoresNeverShareAnAddress() throws {
        try withTemporaryDirectory { dir in
            let config = try fileConfig(dir)
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { t in
                let plugin = IPAMPlugin(store: FileStore(dataDir: dir))
                for i in 0..<25 {
                    do { _ = try plugin.add(config: config, containerID: "t\(t)-\(i)", ifName: "eth0") }
                    catch { failures.withLock { $0.append("\(error)") } }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            let all = try IPAMPlugin().list(config: config)
            #expect(all.count == 100)
            #expect(Set(all.map(\.ip)).count == 100)
        }
    }
}
