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
