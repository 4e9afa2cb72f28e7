extension DNSResponseWriter {
    /// Offset of the question name in every message this writer begins (just after the
    /// 12-byte header; written uncompressed because it is the first name).
    public static let questionNameOffset = 12

    /// Appends `records` RRs already in wire form, as one RRset (all or nothing, with
    /// `appendRRset`'s TC rules). Compression pointers inside `wire` may only point at the
    /// question name (`questionNameOffset`) or its suffixes: that is how precomputed
    /// answers name their owner (`0xC00C`) without knowing the query's case.
    @discardableResult
    public mutating func appendWire(_ wire: Span<UInt8>, records: Int, to section: DNSSection) -> Bool {
        guard enter(section) else { return false }
        guard end + wire.count <= limit - reservedForOPT else {
            return rollBack(to: (end, table.count), section)
        }
        copyIn(wire)
        count(records, in: section)
        return true
    }

    /// Appends one RR whose owner is a compression pointer to message offset `owner` and
    /// whose TYPE...RDATA fields are `rest` in wire form (e.g. the zone's SOA owned by the
    /// zone suffix of the question name).
    @discardableResult
    public mutating func appendWire(owner: Int, rest: Span<UInt8>, to section: DNSSection) -> Bool {
        guard enter(section) else { return false }
        let mark = (end, table.count)
        guard end + 2 + rest.count <= limit - reservedForOPT else { return rollBack(to: mark, section) }
        patch16(at: end, 0xC000 | UInt16(owner & 0x3FFF))
        end += 2
        copyIn(rest)
        count(1, in: section)
        return true
    }

    /// Copies bytes at `end` (room already checked) and advances.
    mutating func copyIn(_ bytes: Span<UInt8>) {
        guard bytes.count > 0 else { return }
        let at = end
        buffer.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.baseAddress!.advanced(by: at).copyMemory(from: src.baseAddress!, byteCount: src.count)
            }
        }
        end += bytes.count
    }

    /// Marks the message truncated (TC) without writing more: for an answer that cannot
    /// fit at all, so the client retries over TCP.
    public mutating func markTruncated() { isTruncated = true }
}

extension DNSResponseWriter {
    /// Appends `CNAME` owned by the question name with `target` (wire form, written in
    /// full) and returns the target's message offset, for records owned by it
    /// (`appendWire(_:records:to:owner:)`); nil (TC set) if it does not fit.
    public mutating func appendCNAME(target: Span<UInt8>, ttl: UInt32) -> Int? {
        guard enter(.answer) else { return nil }
        let mark = (end, table.count)
        guard end + 12 + target.count <= limit - reservedForOPT else {
            _ = rollBack(to: mark, .answer)
            return nil
        }
        patch16(at: end, 0xC000 | UInt16(DNSResponseWriter.questionNameOffset))
        patch16(at: end + 2, DNSType.cname.rawValue)
        patch16(at: end + 4, DNSClass.in.rawValue)
        patch16(at: end + 6, UInt16(ttl >> 16))
        patch16(at: end + 8, UInt16(ttl & 0xFFFF))
        patch16(at: end + 10, UInt16(target.count))
        end += 12
        let offset = end - base
        copyIn(target)
        count(1, in: .answer)
        return offset
    }

    /// `appendWire(_:records:to:)` for RRs whose owner pointer (their first two bytes)
    /// must point at message offset `owner` instead.
    @discardableResult
    public mutating func appendWire(_ wire: Span<UInt8>, records: Int, to section: DNSSection, owner: Int) -> Bool {
        let start = end
        guard appendWire(wire, records: records, to: section) else { return false }
        var o = start
        for _ in 0..<records {
            guard o + 12 <= end else { break }
            patch16(at: o, 0xC000 | UInt16(owner & 0x3FFF))
            o += 12 + (Int(buffer[o + 10]) << 8 | Int(buffer[o + 11]))
        }
        return true
    }
}

extension DNSName {
    /// A name from its uncompressed wire form (labels and the root label); nil if the
    /// bytes are not exactly one valid name.
    public init?(wire: Span<UInt8>) {
        self.init()
        guard wire.count >= 1, wire.count <= DNSName.maxWireLength else { return nil }
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if n == 0 { break }
            guard n <= DNSName.maxLabelLength, i + 1 + n < wire.count else { return nil }
            i += 1 + n
        }
        guard i == wire.count - 1, wire[i] == 0 else { return nil }
        for k in 0..<wire.count { storage[k] = wire[k] }
        length = UInt8(wire.count)
    }
}
