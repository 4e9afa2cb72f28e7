import CNI
import Foundation
import IPAM
import NetAddr
import Synchronization
import Testing

/// The whole `state` file.
func stateFileBytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

struct SlotView {
    var index: Int
    var generation: UInt64
    var payload: [UInt8]
}

/// The slots of a `state` file whose header and checksum are valid.
func validSlots(_ file: [UInt8]) -> [SlotView] {
    let size = file.count / 2
    return (0..<2).compactMap { i in
        let base = i * size
        let head = Array(file[base..<base + StateFileFormat.headerSize])
        guard let h = StateFileFormat.header(head, slotSize: size) else { return nil }
        let payload = Array(file[base + StateFileFormat.headerSize..<base + StateFileFormat.headerSize + h.length])
        guard StateFileFormat.verify(headerBytes: head, h, payload: payload) else { return nil }
        return SlotView(index: i, generation: h.generation, payload: payload)
    }
}

func newestSlot(_ file: [UInt8]) -> SlotView? { validSlots(file).max { $0.generation < $1.generation } }

func writeFile(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

private func allocation(_ i: Int, _ prefix: String = "c") -> Allocation {
    Allocation(ip: ip("10.20.\(i / 250).\(i % 250 + 2)"), containerID: "\(prefix)\(i)", ifName: "eth0")
}

@Suite struct StateFileFormatTests {
    @Test func crc32cKnownAnswer() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum(Array("1234".utf8), Array("56789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func eachUpdateWritesTheOtherSlotWithTheNextGeneration() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            let path = store.stateFile(network: "net")
            #expect(path == "\(dir)/net/state")
            for i in 0..<5 {
                try store.update(network: "net") { $0.insert(allocation(i)) }
                let file = try stateFileBytes(path)
                #expect(file.count == 2 * StateFileFormat.initialSlotSize)  // size never changes
                let newest = try #require(newestSlot(file))
                #expect(newest.generation == UInt64(i + 1))
                #expect(newest.index == i % 2)  // made in slot 0, then alternating
                #expect(try AllocationState(decoding: newest.payload) == store.load(network: "net"))
                // The other slot still holds the previous state (after the first write: nothing).
                #expect(validSlots(file).map(\.generation).sorted() == (i == 0 ? [1] : [UInt64(i), UInt64(i + 1)]))
            }
        }
    }

    @Test func newestValidGenerationWinsWhicheverSlotItIsIn() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            let path = store.stateFile(network: "net")
            try store.update(network: "net") { $0.insert(allocation(0)) }   // gen 1, slot 0
            try store.update(network: "net") { $0.insert(allocation(1)) }   // gen 2, slot 1
            let two = try store.load(network: "net")
            let file = try stateFileBytes(path)
            let half = file.count / 2
            // Swap the slots: the newest is now in slot 0 and must still win.
            try writeFile(Array(file[half...] + file[..<half]), path)
            #expect(try store.load(network: "net") == two)
            // The next write goes to slot 1 (the older one), not over the newest.
            try store.update(network: "net") { $0.insert(allocation(2)) }
            let after = try stateFileBytes(path)
            #expect(validSlots(after).map { "\($0.index):\($0.generation)" } == ["0:2", "1:3"])
            #expect(try store.load(network: "net").allocations == [allocation(0), allocation(1), allocation(2)])
            // And wraps back to slot 0 for the one after.
            try store.update(network: "net") { $0.insert(allocation(3)) }   // gen 4, slot 0
            #expect(newestSlot(try stateFileBytes(path))?.index == 0)
        }
    }

    @Test func tornWriteOfTheInactiveSlotIsIgnored() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            let path = store.stateFile(network: "net")
            for i in 0..<3 { try store.update(network: "net") { $0.insert(allocation(i)) } }
            let before = try store.load(network: "net")
            let old = try stateFileBytes(path)
            try store.update(network: "net") { s in for i in 3..<200 { s.insert(allocation(i)) } }  // ~14 KB
            let new = try stateFileBytes(path)
            let target = try #require(newestSlot(new)).index
            let half = new.count / 2
            let end = target * half + StateFileFormat.headerSize + newestSlot(new)!.payload.count
            // Torn writes: a prefix, a prefix cut in the header, the payload without the header,
            // every other 512-byte sector, and plain garbage over the slot being written.
            var torn: [[UInt8]] = []
            for cut in [10, StateFileFormat.headerSize, 4096, end - target * half - 1] {
                var f = old
                f.replaceSubrange(target * half..<target * half + cut, with: new[target * half..<target * half + cut])
                torn.append(f)
            }
            var noHeader = old
            noHeader.replaceSubrange(target * half + StateFileFormat.headerSize..<end,
                                     with: new[target * half + StateFileFormat.headerSize..<end])
            torn.append(noHeader)
            var sectors = old
            for s in stride(from: target * half, to: end, by: 1024) {
                sectors.replaceSubrange(s..<min(s + 512, end), with: new[s..<min(s + 512, end)])
            }
            torn.append(sectors)
            var garbage = old
            for k in target * half..<target * half + 5000 { garbage[k] = UInt8(truncatingIfNeeded: k &* 31) }
            torn.append(garbage)
            for (n, f) in torn.enumerated() {
                try writeFile(f, path)
                #expect(try store.load(network: "net") == before, "torn case \(n)")
                // And updating from there works: it rewrites the torn slot.
                try store.update(network: "net") { $0.insert(allocation(500)) }
                var expected = before
                expected.insert(allocation(500))
                #expect(try store.load(network: "net") == expected, "torn case \(n)")
            }
        }
    }

    @Test func bothSlotsCorruptIsCode5AndNothingIsWritten() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir, lockTimeout: 1)
            let path = store.stateFile(network: "net")
            for i in 0..<2 { try store.update(network: "net") { $0.insert(allocation(i)) } }
            var file = try stateFileBytes(path)
            let half = file.count / 2
            file[half + StateFileFormat.headerSize + 3] ^= 0x40   // slot 1 payload bit flip
            try writeFile(file, path)
            #expect(try store.load(network: "net").allocations == [allocation(0)])  // slot 0 remains
            file[StateFileFormat.headerSize + 3] ^= 0x40           // slot 0 too
            try writeFile(file, path)
            for e in [cniError { _ = try store.load(network: "net") },
                      cniError { try store.update(network: "net") { $0.insert(allocation(9)) } }] {
                #expect(e?.code == CNIError.ioFailure)
                #expect(e?.msg.hasPrefix("state file \(path) is unreadable") == true)
            }
            #expect(try stateFileBytes(path) == file)
            // A wrong size (not two power-of-two slots) is corrupt too, whatever the slots say.
            try writeFile(Array(file[..<(half + 100)]), path)
            #expect(cniError { _ = try store.load(network: "net") }?.code == CNIError.ioFailure)
        }
    }

    @Test func growsBeyond64KiBAndSurvivesReopen() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            let path = store.stateFile(network: "net")
            try store.update(network: "net") { $0.insert(allocation(0)) }
            var sizes: [Int] = []
            // 3,000 allocations in six updates: the slot outgrows 64 KiB, then 128 KiB.
            for chunk in 0..<6 {
                try store.update(network: "net") { s in
                    for i in max(1, chunk * 500)..<(chunk + 1) * 500 { s.insert(allocation(i)) }
                }
                sizes.append(try stateFileBytes(path).count)
            }
            let newest = try #require(newestSlot(try stateFileBytes(path)))
            #expect(newest.payload.count > 64 * 1024)
            #expect(newest.generation == 7)  // growth keeps counting generations
            #expect(sizes.last == 2 * 256 * 1024, "\(sizes)")
            #expect(sizes == sizes.sorted())
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
            let reopened = try FileStore(dataDir: dir).load(network: "net")
            #expect(reopened.allocations.count == 3000)
            #expect(reopened.allocations == (0..<3000).map { allocation($0) }.sorted())
            // In-place updates continue in the grown file, which keeps its size.
            _ = try store.update(network: "net") { $0.removeAll { $0.containerID == "c7" } }
            #expect(try stateFileBytes(path).count == sizes.last)
            #expect(try store.load(network: "net").allocations.count == 2999)
            // The allocator works over it: the next free address in the /16 is found.
            let config = try fileConfig(dir)
            let r = try IPAMPlugin(store: store).add(config: config, containerID: "new", ifName: "eth0")
            #expect(r.ips.count == 1)
            #expect(try store.load(network: "net").allocations.count == 3000)
        }
    }

    @Test func legacyStateJSONIsReadThenMigrated() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            try FileManager.default.createDirectory(atPath: "\(dir)/net", withIntermediateDirectories: true)
            let legacy = AllocationState(allocations: [allocation(0), allocation(1)], lastReserved: [0: ip("10.20.0.3")])
            try writeFile(legacy.encoded(), store.legacyStateFile(network: "net"))
            try writeFile(Array("torn".utf8), store.legacyStateFile(network: "net") + ".tmp")
            // load reads it and changes nothing on disk.
            #expect(try store.load(network: "net") == legacy)
            #expect(directoryContents("\(dir)/net") == ["state.json", "state.json.tmp"])
            // The first update, even one that changes nothing, converts it.
            try IPAMPlugin(store: store).del(config: try fileConfig(dir), containerID: "nobody", ifName: "eth0")
            #expect(directoryContents("\(dir)/net") == ["lock", "state"])
            #expect(try store.load(network: "net") == legacy)
            #expect(try newestSlot(stateFileBytes(store.stateFile(network: "net")))?.generation == 1)
            // Round-robin continues from the legacy cursor.
            let r = try IPAMPlugin(store: store).add(config: try fileConfig(dir), containerID: "c9", ifName: "eth0")
            #expect(r.ips.map { "\($0.address)" } == ["10.20.0.4/16"])
        }
    }

    @Test func corruptLegacyStateJSONIsCode5AndKept() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir)
            try FileManager.default.createDirectory(atPath: "\(dir)/net", withIntermediateDirectories: true)
            try writeFile(Array("{not json".utf8), store.legacyStateFile(network: "net"))
            for e in [cniError { _ = try store.load(network: "net") },
                      cniError { try store.update(network: "net") { $0.insert(allocation(0)) } }] {
                #expect(e?.code == CNIError.ioFailure)
                #expect(e?.msg.hasPrefix("state file \(dir)/net/state.json is unreadable") == true)
            }
            #expect(directoryContents("\(dir)/net") == ["lock", "state.json"])
        }
    }

    /// `load` reads without the lock; when both slots look torn it must wait for the lock and
    /// read again rather than report corruption (two updates can race one unlocked read).
    @Test func loadRereadsUnderTheLockBeforeCallingTheStoreCorrupt() throws {
        try withTemporaryDirectory { dir in
            let store = FileStore(dataDir: dir, lockTimeout: 10)
            let path = store.stateFile(network: "net")
            try store.update(network: "net") { $0.insert(allocation(0)) }
            let good = try stateFileBytes(path)
            let fd = open("\(dir)/net/lock", O_RDWR)
            defer { close(fd) }
            #expect(flock(fd, LOCK_EX) == 0)
            try writeFile([UInt8](repeating: 0, count: good.count), path)  // "mid-update"
            let result = Mutex<Result<AllocationState, CNIError>?>(nil)
            let reader = Thread {
                let r = Result { () throws(CNIError) in try store.load(network: "net") }
                result.withLock { $0 = r }
            }
            reader.start()
            usleep(100_000)
            #expect(result.withLock { $0 } == nil)  // waiting for the lock, not failing
            try writeFile(good, path)                 // the "update" finishes
            flock(fd, LOCK_UN)
            for _ in 0..<500 where result.withLock({ $0 }) == nil { usleep(10_000) }
            #expect(try result.withLock { $0 }?.get().allocations == [allocation(0)])
        }
    }
}
