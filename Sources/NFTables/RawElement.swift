import NetAddr

/// A set element as the kernel dumps it, before decoding with the set's key types.
struct RawElement {
    var key: [UInt8]
    var keyEnd: [UInt8]?
    var intervalEnd = false
    var userdata: [UInt8]?
    var verdict: Int32?
    var chain: String?

    /// Decodes dumped elements. rbtree interval sets come back as start elements and
    /// `INTERVAL_END` elements (end + 1), newest first; they are paired here.
    static func decode(_ raw: [RawElement], in set: NFTSet) -> [SetElement] {
        guard set.flags.contains(.interval), !set.isConcatenation, set.key.count == 1 else {
            return raw.compactMap { r in
                r.decoded(set, end: r.keyEnd)
            }
        }
        let sorted = raw.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var out: [SetElement] = []
        var i = 0
        while i < sorted.count {
            let r = sorted[i]
            i += 1
            if r.intervalEnd { continue }
            var end = [UInt8](repeating: 0xff, count: r.key.count)
            if i < sorted.count, sorted[i].intervalEnd {
                end = decremented(sorted[i].key, length: set.key[0].length)
                i += 1
            }
            if let e = r.decoded(set, end: end) { out.append(e) }
        }
        return out
    }

    func decoded(_ set: NFTSet, end: [UInt8]?) -> SetElement? {
        var fields: [ElementField] = []
        var offset = 0
        for type in set.key {
            let width = (type.length + 3) / 4 * 4
            guard offset + type.length <= key.count else { return nil }
            let start = Array(key[offset..<(offset + type.length)])
            var last = start
            if let end, offset + type.length <= end.count { last = Array(end[offset..<(offset + type.length)]) }
            guard let f = Self.field(type, start, last) else { return nil }
            fields.append(f)
            offset += width
        }
        var v: Verdict?
        if let code = verdict {
            v = [Verdict.drop, .accept, .continue, .return].first { $0.code == code }
                ?? (code == Verdict.jump("").code ? .jump(chain ?? "") : code == Verdict.goto("").code ? .goto(chain ?? "") : nil)
        }
        return SetElement(fields, verdict: v, comment: userdata.flatMap(SetElement.comment(fromUserdata:)))
    }

    static func field(_ type: SetKeyType, _ start: [UInt8], _ last: [UInt8]) -> ElementField? {
        switch type {
        case .ipv4Address, .ipv6Address:
            guard let a = IPAddress(bytes: start), let b = IPAddress(bytes: last) else { return nil }
            if a == b { return .address(a) }
            return prefix(a, b).map { .prefix($0) } ?? .range(a, b)
        case .etherAddress: return MACAddress(bytes: start).map { .ether($0) }
        case .ifname: return .ifname(String(decoding: start.prefix { $0 != 0 }, as: UTF8.self))
        case .inetProto: return .proto(start[0])
        case .inetService: return .port(UInt16(start[0]) << 8 | UInt16(start[1]))
        case .mark: return .mark(start.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        }
    }

    /// The prefix exactly covering `a...b`, if there is one.
    static func prefix(_ a: IPAddress, _ b: IPAddress) -> IPPrefix? {
        let width = a.bitWidth
        for length in 0...width {
            let p = IPPrefix(address: a, length: length)
            if p.network.address == a && p.last == b { return p }
        }
        return nil
    }
}

/// Big-endian decrement of the first `length` bytes (the rest is register padding).
func decremented(_ bytes: [UInt8], length: Int) -> [UInt8] {
    var b = Array(bytes.prefix(length))
    for i in b.indices.reversed() {
        if b[i] == 0 { b[i] = 0xff } else { b[i] -= 1; break }
    }
    return padded(b)
}
