import DNSWire

/// An immutable hash map from a lowercased wire-form name to precomputed RRsets, kept in
/// one byte arena plus one slot array: a few large allocations instead of one per name,
/// and a lookup that hashes the query's bytes in place (no allocation, no lock).
///
/// Entry layout in `arena`: `[keyLength][key…][setCount]` then per RRset
/// `[type u16][records u16][length u16][RR bytes…]`. RR bytes own their records with a
/// pointer to the question name (`0xC00C`), so they are copied into a response as is.
struct NameTable: Sendable {
    let arena: [UInt8]
    /// Open addressing, linear probing; 0 is empty, else an entry's arena offset + 1.
    let slots: [UInt32]
    let mask: Int
    let count: Int

    static let empty = NameTable(arena: [], slots: [0], mask: 0, count: 0)

    init(arena: [UInt8], slots: [UInt32], mask: Int, count: Int) {
        self.arena = arena
        self.slots = slots
        self.mask = mask
        self.count = count
    }

    /// FNV-1a over the ASCII-lowercased bytes.
    @inline(__always)
    static func hash(_ bytes: Span<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<bytes.count {
            var b = bytes[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The arena offset of the entry's set count for `name` (matched ignoring ASCII case).
    func find(_ name: borrowing DNSName) -> Int? {
        let n = name.wireLength
        var key = InlineArray<255, UInt8>(repeating: 0)
        for i in 0..<n { key[i] = name[wire: i] }
        return find(key.span.extracting(0..<n))
    }

    func find(_ key: Span<UInt8>) -> Int? {
        guard count > 0 else { return nil }
        var i = NameTable.hash(key) & mask
        let a = arena.span
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            let off = Int(s - 1)
            if Int(a[off]) == key.count && NameTable.equalFolded(a, off + 1, key) {
                return off + 1 + key.count
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    static func equalFolded(_ a: Span<UInt8>, _ at: Int, _ key: Span<UInt8>) -> Bool {
        for k in 0..<key.count {
            var b = key[k]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if a[at + k] != b { return false }
        }
        return true
    }

    /// One RRset of an entry: where its RR bytes are and how many records they hold.
    struct RRset {
        var bytes: Range<Int>
        var records: Int
    }

    /// The RRset of `type` in the entry at `value` (from `find`), if any.
    func rrset(at value: Int, type: DNSType) -> RRset? {
        var o = value + 1
        let sets = Int(arena[value])
        for _ in 0..<sets {
            let t = UInt16(arena[o]) << 8 | UInt16(arena[o + 1])
            let c = Int(arena[o + 2]) << 8 | Int(arena[o + 3])
            let len = Int(arena[o + 4]) << 8 | Int(arena[o + 5])
            if t == type.rawValue { return RRset(bytes: o + 6..<o + 6 + len, records: c) }
            o += 6 + len
        }
        return nil
    }

    /// True if the entry holds no RRset (an empty non-terminal).
    func isEmpty(at value: Int) -> Bool { arena[value] == 0 }
}

/// Collects entries (name → RRs by type), then lays them out as a `NameTable`.
struct NameTableBuilder {
    /// RRs of one name, by type, in insertion order.
    struct Entry {
        var sets: [(type: UInt16, records: Int, bytes: [UInt8])] = []
    }

    var entries: [[UInt8]: Entry] = [:]

    /// Declares that `name` (lowercased wire form) exists, with no records of its own.
    mutating func touch(_ name: [UInt8]) {
        if entries[name] == nil { entries[name] = Entry() }
    }

    /// Adds one RR (wire bytes from `RecordEncoder`) of `type` to `name`, unless the
    /// same bytes are already there (two slices listing one address).
    mutating func add(_ name: [UInt8], type: DNSType, rr: [UInt8]) {
        entries[name, default: Entry()].add(type: type.rawValue, rr: rr)
    }

    func build() -> NameTable {
        guard !entries.isEmpty else { return .empty }
        var arena: [UInt8] = []
        var size = 0
        for (k, e) in entries {
            size += 2 + k.count
            for s in e.sets { size += 6 + s.bytes.count }
        }
        arena.reserveCapacity(size)
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        var slots = [UInt32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (k, e) in entries {
            let off = arena.count
            arena.append(UInt8(k.count))
            arena.append(contentsOf: k)
            arena.append(UInt8(e.sets.count))
            for s in e.sets {
                arena.append(UInt8(s.type >> 8)); arena.append(UInt8(s.type & 0xFF))
                arena.append(UInt8(s.records >> 8)); arena.append(UInt8(s.records & 0xFF))
                arena.append(UInt8(s.bytes.count >> 8)); arena.append(UInt8(s.bytes.count & 0xFF))
                arena.append(contentsOf: s.bytes)
            }
            var i = NameTable.hash(k.span) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(off + 1)
        }
        return NameTable(arena: arena, slots: slots, mask: mask, count: entries.count)
    }
}

extension NameTableBuilder.Entry {
    mutating func add(type: UInt16, rr: [UInt8]) {
        if let i = sets.firstIndex(where: { $0.type == type }) {
            // An RRset is limited by the 16-bit length; a set that large cannot be sent anyway.
            guard sets[i].bytes.count + rr.count <= 65000 else { return }
            if containsRR(sets[i].bytes, rr) { return }
            sets[i].bytes.append(contentsOf: rr)
            sets[i].records += 1
        } else {
            sets.append((type, 1, rr))
        }
    }

    /// Linear scan over whole RRs: sets are small except headless A sets, where a
    /// duplicate check by bytes keeps two slices with the same address from doubling it.
    func containsRR(_ set: [UInt8], _ rr: [UInt8]) -> Bool {
        guard set.count >= rr.count, set.count <= 4096 else { return false }
        var o = 0
        while o + rr.count <= set.count {
            let len = RecordEncoder.rrLength(set, at: o)
            if len == rr.count && set[o..<o + len].elementsEqual(rr) { return true }
            o += len
        }
        return false
    }
}
