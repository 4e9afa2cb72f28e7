import DNSWire

/// A light pass over a response's raw bytes for the forward cache: where each TTL is
/// (to age it in place) and how long the response may be cached.
struct MessageScan {
    var ttlOffsets: [Int] = []
    /// Smallest TTL over answer and authority RRs (OPT excluded).
    var minTTL: UInt32?
    /// min(SOA TTL, SOA MINIMUM) of an authority SOA: the negative TTL (RFC 2308 §5).
    var negativeTTL: UInt32?
    var answers = 0
    var rcode: UInt8 = 0
    var truncated = false

    init?(_ m: [UInt8]) {
        guard m.count >= 12 else { return nil }
        rcode = m[3] & 0xF
        truncated = m[2] & 0x02 != 0
        let qd = Int(m[4]) << 8 | Int(m[5]), an = Int(m[6]) << 8 | Int(m[7])
        let ns = Int(m[8]) << 8 | Int(m[9]), ar = Int(m[10]) << 8 | Int(m[11])
        answers = an
        var o = 12
        for _ in 0..<qd {
            guard MessageScan.skipName(m, &o), o + 4 <= m.count else { return nil }
            o += 4
        }
        for i in 0..<(an + ns + ar) {
            guard MessageScan.skipName(m, &o), o + 10 <= m.count else { return nil }
            let type = UInt16(m[o]) << 8 | UInt16(m[o + 1])
            let ttl = UInt32(m[o + 4]) << 24 | UInt32(m[o + 5]) << 16 | UInt32(m[o + 6]) << 8 | UInt32(m[o + 7])
            let rdlen = Int(m[o + 8]) << 8 | Int(m[o + 9])
            guard o + 10 + rdlen <= m.count else { return nil }
            if type != DNSType.opt.rawValue {
                ttlOffsets.append(o + 4)
                if i < an + ns { minTTL = min(minTTL ?? ttl, ttl) }
                if type == DNSType.soa.rawValue, i >= an, i < an + ns {
                    // MINIMUM is the last 4 bytes of the SOA RDATA.
                    let e = o + 10 + rdlen
                    let minimum = UInt32(m[e - 4]) << 24 | UInt32(m[e - 3]) << 16 | UInt32(m[e - 2]) << 8 | UInt32(m[e - 1])
                    negativeTTL = min(ttl, minimum)
                }
            }
            o += 10 + rdlen
        }
    }

    static func skipName(_ m: [UInt8], _ o: inout Int) -> Bool {
        for _ in 0..<128 {
            guard o < m.count else { return false }
            let b = m[o]
            if b == 0 { o += 1; return true }
            if b & 0xC0 == 0xC0 { o += 2; return o <= m.count }
            guard b < 0x40 else { return false }
            o += 1 + Int(b)
        }
        return false
    }
}
