import Foundation
import Store
import Testing
import TestSupport

// The crash worker is this test binary started again with only `sqliteStoreCrashWorker`
// selected (see Tests/IPAMTests/StoreProcessTests.swift for why not fork()).
private enum CrashWorker {
    static let database = "STORE_TEST_CRASH_DB"
    static let tag = "STORE_TEST_CRASH_TAG"
}

@Suite struct RestartTests {
    @Test func reopenedWatchReplaysExactlyTheEventsAfterR() async throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/store.db"
        var store: SQLiteStore? = try SQLiteStore(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask { [store] in
                    for i in 0..<50 {
                        try await store!.create(key: "/registry/r/\(w)-\(i)", value: bytes("\(i)"))
                        if i % 2 == 1 { try await store!.update(key: "/registry/r/\(w)-\(i)", value: bytes("u"), expectedRevision: nil) }
                        if i % 5 == 4 { try await store!.delete(key: "/registry/r/\(w)-\(i - 1)", expectedRevision: nil) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let before = try #require(store)
        let head = before.currentRevision
        let all = try await collect(try before.watch(prefix: "/", fromRevision: 0), count: Int(head))
        let listed = try before.list(prefix: "/", limit: nil, continueAfter: nil)
        before.close()
        store = nil

        let reopened = try SQLiteStore(path: path)
        defer { reopened.close() }
        #expect(reopened.currentRevision == head)
        #expect(try reopened.list(prefix: "/", limit: nil, continueAfter: nil) == listed)
        for r in [0, 1, head / 2, head - 1] {
            let replay = try await collect(try reopened.watch(prefix: "/", fromRevision: r), count: Int(head - r))
            #expect(replay == Array(all[Int(r)...]), "from \(r)")
        }
        // New writes continue the sequence, and a watch from before the restart runs into them.
        let stream = try reopened.watch(prefix: "/", fromRevision: head - 1)
        #expect(try await reopened.create(key: "/registry/r/after", value: []) == head + 1)
        #expect(try await collect(stream, count: 2).map(\.modRevision) == [head, head + 1])
        #expect(reopened.compactedRevision == 0)
    }

    @Test func compactionSurvivesReopen() async throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/store.db"
        do {
            let store = try SQLiteStore(path: path)
            for i in 0..<10 { try await store.create(key: "/registry/k/\(i)", value: []) }
            try await store.compact(before: 6)
            store.close()
        }
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        #expect(store.compactedRevision == 5)
        #expect(throws: StoreError.expired(requested: 4, compacted: 5)) { _ = try store.watch(prefix: "/", fromRevision: 4) }
        #expect(try await collect(try store.watch(prefix: "/", fromRevision: 5), count: 5).map(\.modRevision) == [6, 7, 8, 9, 10])
    }

    /// A no-op in a normal run; the body of a crash worker when the environment says so:
    /// 4 concurrent writers, each acknowledged revision printed (unbuffered) as "rev key".
    @Test func sqliteStoreCrashWorker() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env[CrashWorker.database], let tag = env[CrashWorker.tag] else { return }
        let store = try SQLiteStore(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    var i = 0
                    while true {
                        let key = "/registry/crash/\(tag)-\(w)-\(i)"
                        let r = try await store.create(key: key, value: bytes(key))
                        let line = Array("\(r) \(key)\n".utf8)
                        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                        i += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func sigkillMidLoadLosesNoAcknowledgedWrite() async throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/store.db"
        var acknowledged: [(Revision, String)] = []
        for round in 0..<4 {
            let out = "\(dir.path)/out\(round)"
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            p.arguments = ["--testing-library", "swift-testing", "--filter", "sqliteStoreCrashWorker"]
            var env = ProcessInfo.processInfo.environment
            env[CrashWorker.database] = path
            env[CrashWorker.tag] = "r\(round)"
            p.environment = env
            p.standardOutput = FileHandle(forWritingAtPath: out)
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Kill it under load: after 200 acknowledged writes plus a random moment.
            let loaded = TestSupport.eventually(timeout: 30) {
                ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count >= 200
            }
            usleep(UInt32.random(in: 0...20_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(loaded, "round \(round): worker made no progress")
            #expect(p.terminationReason == .uncaughtSignal)
            let text = try String(contentsOfFile: out, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            lines.removeLast()  // "" after the final newline, or a line the kill cut short
            for line in lines {
                let parts = line.split(separator: " ")
                if parts.count == 2, let r = Revision(parts[0]) { acknowledged.append((r, String(parts[1]))) }
            }

            let store = try SQLiteStore(path: path)   // opens cleanly after the kill
            defer { store.close() }
            for (r, key) in acknowledged {
                let object = try store.get(key: key)
                #expect(object?.modRevision == r && object?.value == bytes(key), "round \(round): \(key) at \(r): \(String(describing: object))")
            }
            let head = store.currentRevision
            #expect(head >= acknowledged.map(\.0).max() ?? 0)
            let history = try await collect(try store.watch(prefix: "/", fromRevision: 0), count: Int(head))
            #expect(history.map(\.modRevision) == Array(1...head))
            #expect(try store.list(prefix: "/registry/crash/").items.count == Int(head))
        }
        print("crash test: \(acknowledged.count) acknowledged writes across 4 SIGKILLs, all present")
    }
}
