/// Thrown inside the writer when the next bytes would pass the limit; typed, so free.
struct NoRoom: Error {}

extension DNSResponseWriter {
    @inline(__always) mutating func room(_ n: Int) throws(NoRoom) {
        guard end + n <= limit - reservedForOPT else { throw NoRoom() }
    }

    @inline(__always) mutating func put8(_ v: UInt8) throws(NoRoom) {
        try room(1)
        buffer[end] = v
        end += 1
    }

    @inline(__always) mutating func put16(_ v: UInt16) throws(NoRoom) {
        try room(2)
        buffer[end] = UInt8(v >> 8)
        buffer[end + 1] = UInt8(v & 0xFF)
        end += 2
    }

    @inline(__always) mutating func put32(_ v: UInt32) throws(NoRoom) {
        try put16(UInt16(v >> 16))
        try put16(UInt16(v & 0xFFFF))
    }

    mutating func putBytes(_ b: [UInt8]) throws(NoRoom) {
        try room(b.count)
        for (i, x) in b.enumerated() { buffer[end + i] = x }
        end += b.count
    }

    @inline(__always) mutating func patch16(at i: Int, _ v: UInt16) {
        buffer[i] = UInt8(v >> 8)
        buffer[i + 1] = UInt8(v & 0xFF)
    }

    /// Writes `name`; with `compress`, ends it with a pointer to an earlier copy of its
    /// longest known suffix and remembers its new suffixes as targets.
    mutating func putName(_ name: DNSName, compress: Bool) throws(NoRoom) {
        // Only names already complete are candidates: this name's own labels are in the
        // table as soon as written, but their suffix is not there yet (found by fuzzing).
        let complete = table.count
        // Read through a span: subscripting `name.storage` while `self` changes made the
        // optimizer copy all 255 bytes per access (seen with perf, Swift 6.3).
        let wire = name.storage.span
        var i = 0
        while wire[i] != 0 {
            if compress, let target = findSuffix(name, from: i, among: complete) {
                try put16(0xC000 | target)
                return
            }
            let here = end - base
            let n = Int(wire[i])
            try room(1 + n)
            for k in 0...n { buffer[end + k] = wire[i + k] }
            end += 1 + n
            if compress { table.add(here) }
            i += 1 + n
        }
        try put8(0)
    }

    /// Offset of an earlier name equal (byte for byte) to `name`'s suffix at `from`.
    // `mutating` only so that calling it from putName passes `self` in place: as a
    // non-mutating method the optimizer copied the writer (with its table) per label.
    mutating func findSuffix(_ name: DNSName, from: Int, among n: Int) -> UInt16? {
        for t in 0..<n where nameEquals(at: Int(table.offsets[t]), name, from: from) {
            return table.offsets[t]
        }
        return nil
    }

    /// Compares the name written at message offset `off` with `name`'s suffix at `from`.
    /// Our own output only holds backward pointers; the step bound is a second guard.
    mutating func nameEquals(at off: Int, _ name: DNSName, from: Int) -> Bool {
        let wire = name.storage.span
        var p = base + off
        var i = from
        for _ in 0..<256 {
            var b = buffer[p]
            if b >= 0xC0 {
                p = base + (Int(b & 0x3F) << 8 | Int(buffer[p + 1]))
                b = buffer[p]
            }
            guard b == wire[i] else { return false }
            if b == 0 { return true }
            let n = Int(b)
            for k in 1...n where buffer[p + k] != wire[i + k] { return false }
            p += 1 + n
            i += 1 + n
        }
        return false
    }

    mutating func putCharacterString(_ s: [UInt8]) throws(NoRoom) {
        // A string over 255 bytes is split (as zone files do for long TXT data).
        var start = 0
        repeat {
            let n = min(255, s.count - start)
            try put8(UInt8(n))
            try room(n)
            for k in 0..<n { buffer[end + k] = s[start + k] }
            end += n
            start += n
        } while start < s.count
    }

    mutating func putRecord(_ r: DNSRecord) throws(NoRoom) {
        try putName(r.name, compress: true)
        try put16(r.type.rawValue)
        try put16(r.class.rawValue)
        try put32(r.ttl)
        let lengthAt = end
        try put16(0)
        switch r.data {
        case .a(let v): try put32(v)
        case .aaaa(let hi, let lo):
            try put32(UInt32(hi >> 32)); try put32(UInt32(hi & 0xFFFF_FFFF))
            try put32(UInt32(lo >> 32)); try put32(UInt32(lo & 0xFFFF_FFFF))
        case .cname(let n), .ptr(let n), .ns(let n):
            try putName(n, compress: true)
        case .soa(let soa):
            try putName(soa.mname, compress: true)
            try putName(soa.rname, compress: true)
            // Five separate writes: an array literal here would allocate per record.
            try put32(soa.serial); try put32(soa.refresh); try put32(soa.retry)
            try put32(soa.expire); try put32(soa.minimum)
        case .srv(let pr, let w, let port, let target):
            try put16(pr); try put16(w); try put16(port)
            try putName(target, compress: false)  // RFC 2782: target MUST NOT be compressed
        case .txt(let strings):
            for s in strings { try putCharacterString(s) }
        case .hinfo(let cpu, let os):
            try putCharacterString(cpu)
            try putCharacterString(os)
        case .unknown(_, let bytes):
            try putBytes(bytes)
        }
        patch16(at: lengthAt, UInt16(end - lengthAt - 2))
    }

    mutating func putOPT(_ e: EDNS, options: [EDNSOption]) throws(NoRoom) {
        try put8(0)
        try put16(DNSType.opt.rawValue)
        try put16(e.udpPayloadSize)
        try put32(UInt32(e.extendedRCode) << 24 | UInt32(e.version) << 16
                  | (e.dnssecOK ? 0x8000 : 0) | UInt32(e.z & 0x7FFF))
        let lengthAt = end
        try put16(0)
        for o in options {
            try put16(o.code)
            try put16(UInt16(o.data.count))
            try putBytes(o.data)
        }
        patch16(at: lengthAt, UInt16(end - lengthAt - 2))
    }
}
