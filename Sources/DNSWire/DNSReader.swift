// Decoding primitives over a `Span<UInt8>`. Every read checks bounds first and throws
// `DNSWireError`; the span's own checks are a second net that a correct reader never hits.

@inline(__always)
func readU8(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> UInt8 {
    guard o < s.count else { throw DNSWireError(.truncated, at: o) }
    defer { o += 1 }
    return s[o]
}

@inline(__always)
func readU16(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> UInt16 {
    guard o + 2 <= s.count else { throw DNSWireError(.truncated, at: o) }
    defer { o += 2 }
    return UInt16(s[o]) << 8 | UInt16(s[o + 1])
}

@inline(__always)
func readU32(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> UInt32 {
    guard o + 4 <= s.count else { throw DNSWireError(.truncated, at: o) }
    defer { o += 4 }
    return UInt32(s[o]) << 24 | UInt32(s[o + 1]) << 16 | UInt32(s[o + 2]) << 8 | UInt32(s[o + 3])
}

func readBytes(_ s: Span<UInt8>, _ o: inout Int, _ n: Int) throws(DNSWireError) -> [UInt8] {
    guard n >= 0, o + n <= s.count else { throw DNSWireError(.truncated, at: o) }
    var out = [UInt8]()
    out.reserveCapacity(n)
    for i in o..<(o + n) { out.append(s[i]) }
    o += n
    return out
}

/// Most pointers a name may follow. Targets must also strictly decrease (each pointer
/// points before the start of the labels it came from), which alone rules out loops;
/// the budget bounds the work per name on top of that.
let maxPointerHops = 64

/// Reads a possibly compressed name at `pos`, leaving `pos` just past its in-place bytes.
func readName(_ s: Span<UInt8>, _ pos: inout Int) throws(DNSWireError) -> DNSName {
    var name = DNSName()
    var len = 0  // bytes of name.storage used, root label not yet included
    var p = pos
    var segmentStart = pos
    var jumped = false
    var hops = 0
    while true {
        guard p < s.count else { throw DNSWireError(.truncated, at: p) }
        let b = s[p]
        if b == 0 {
            guard len + 1 <= DNSName.maxWireLength else { throw DNSWireError(.nameTooLong, at: p) }
            name.storage[len] = 0
            name.length = UInt8(len + 1)
            if !jumped { pos = p + 1 }
            return name
        } else if b < 0x40 {
            let n = Int(b)
            guard len + 1 + n + 1 <= DNSName.maxWireLength else { throw DNSWireError(.nameTooLong, at: p) }
            guard p + 1 + n <= s.count else { throw DNSWireError(.truncated, at: p) }
            for k in 0...n { name.storage[len + k] = s[p + k] }
            len += 1 + n
            p += 1 + n
        } else if b >= 0xC0 {
            guard p + 1 < s.count else { throw DNSWireError(.truncated, at: p) }
            let target = Int(b & 0x3F) << 8 | Int(s[p + 1])
            guard target < segmentStart else { throw DNSWireError(.badPointer, at: p) }
            hops += 1
            guard hops <= maxPointerHops else { throw DNSWireError(.pointerLoop, at: p) }
            if !jumped { pos = p + 2; jumped = true }
            p = target
            segmentStart = target
        } else {
            throw DNSWireError(.labelTooLong, at: p)
        }
    }
}

/// The fixed part of an RR after its owner name.
struct RRHead {
    var type: DNSType
    var rrclass: UInt16
    var ttl: UInt32
    /// Absolute offsets of the RDATA.
    var rdata: Range<Int>
}

/// Reads owner, type, class, TTL and RDLENGTH; leaves `o` at the start of the RDATA.
func readRRHead(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> (DNSName, RRHead) {
    let name = try readName(s, &o)
    let type = DNSType(try readU16(s, &o))
    let rrclass = try readU16(s, &o)
    let ttl = try readU32(s, &o)
    let rdlen = Int(try readU16(s, &o))
    guard o + rdlen <= s.count else { throw DNSWireError(.badRData, at: o - 2) }
    return (name, RRHead(type: type, rrclass: rrclass, ttl: ttl, rdata: o..<(o + rdlen)))
}

/// Reads a question entry.
func readQuestion(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> DNSQuestion {
    let name = try readName(s, &o)
    let type = DNSType(try readU16(s, &o))
    let qclass = DNSClass(rawValue: try readU16(s, &o))
    return DNSQuestion(name: name, type: type, class: qclass)
}

/// The EDNS fields of an OPT RR (RFC 6891 §6.1.3); checks the option framing.
func readOPT(_ s: Span<UInt8>, owner: DNSName, head: RRHead) throws(DNSWireError) -> EDNS {
    guard owner.wireLength == 1 else { throw DNSWireError(.badOPT, at: head.rdata.lowerBound) }
    var o = head.rdata.lowerBound
    while o < head.rdata.upperBound {
        guard o + 4 <= head.rdata.upperBound else { throw DNSWireError(.badOPT, at: o) }
        o += 2
        let n = Int(try readU16(s, &o))
        guard o + n <= head.rdata.upperBound else { throw DNSWireError(.badOPT, at: o) }
        o += n
    }
    return EDNS(udpPayloadSize: head.rrclass,
                extendedRCode: UInt8(head.ttl >> 24),
                version: UInt8((head.ttl >> 16) & 0xFF),
                dnssecOK: head.ttl & 0x8000 != 0,
                z: UInt16(head.ttl & 0x7FFF))
}

/// The options of an OPT RR whose framing `readOPT` has checked.
func readOPTOptions(_ s: Span<UInt8>, _ rdata: Range<Int>) throws(DNSWireError) -> [EDNSOption] {
    var out: [EDNSOption] = []
    var o = rdata.lowerBound
    while o < rdata.upperBound {
        let code = try readU16(s, &o)
        let n = Int(try readU16(s, &o))
        out.append(EDNSOption(code: code, data: try readBytes(s, &o, n)))
    }
    return out
}
