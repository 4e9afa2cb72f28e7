/// Writes response messages into a buffer it owns and reuses: after `init`, writing a
/// response never allocates (the buffer is uniquely owned and never grows; the
/// compression table is an inline array). Keep one writer per sending thread or per
/// `sendmmsg` slot; do not copy it (a copy shares, then duplicates, the buffer).
///
/// Order of use: `begin…`, then `append`/`appendRRset` in section order (answer,
/// authority, additional), then `finish()`, then send `message` (UDP) or `framed` (TCP).
public struct DNSResponseWriter: Sendable {
    /// How the message is framed in `buffer`.
    public enum Framing: Sendable {
        /// Bare message.
        case udp
        /// Two-byte big-endian length prefix first (RFC 1035 §4.2.2, RFC 7766 §8).
        case tcp
    }

    /// Backing store; only `buffer[0..<end]` is meaningful.
    @usableFromInline var buffer: [UInt8]
    /// Start of the DNS message (2 with TCP framing).
    var base = 0
    /// Write position (absolute).
    var end = 0
    /// Absolute position the message must not pass, OPT reservation excluded.
    var limit = 0
    var counts: (qd: UInt16, an: UInt16, ns: UInt16, ar: UInt16) = (0, 0, 0, 0)
    var section = DNSSection.answer
    var responseEDNS: EDNS?
    var reservedForOPT = 0
    var isTruncated = false
    var table = CompressionTable()

    /// Allocates the buffer once: `capacity` bytes of message plus 2 for TCP framing.
    public init(capacity: Int = 65535) {
        buffer = [UInt8](repeating: 0, count: min(max(capacity, 512), 65535) + 2)
    }

    /// The message written so far (complete after `finish()`), without TCP prefix.
    public var message: ArraySlice<UInt8> { buffer[base..<end] }
    /// With `.tcp` framing, the length prefix and message; with `.udp`, `message`.
    public var framed: ArraySlice<UInt8> { buffer[0..<end] }
    /// True if some answer/authority RRset was left out for lack of room (TC set).
    public var truncated: Bool { isTruncated }

    /// Starts a message with the given header (its TC and counts are managed here).
    /// `limit` is the largest message size in bytes; `edns` is the OPT to send, if any.
    public mutating func begin(header: DNSHeader, limit: Int, edns: EDNS?, ednsOptionBytes: Int = 0,
                               framing: Framing = .udp) {
        base = framing == .tcp ? 2 : 0
        end = base
        self.limit = base + min(max(limit, 12), buffer.count - 2)
        counts = (0, 0, 0, 0)
        section = .answer
        responseEDNS = edns
        reservedForOPT = edns == nil ? 0 : 11 + ednsOptionBytes
        isTruncated = false
        table.removeAll()
        var h = header
        h.truncated = false
        // 12 bytes always fit: limit ≥ 12 and the buffer ≥ 514.
        try? put16(h.id)
        try? put16(h.flags)
        for _ in 0..<4 { try? put16(0) }
    }

    /// Starts the response to `query`: echoes id, opcode, RD, CD and the question as
    /// asked (RFC 4343 case), sets QR, and answers EDNS with an OPT of our own (UDP size
    /// 1232, version 0, DO echoed per RFC 3225, no options: unknown ones are not echoed).
    /// The size limit is `query.udpResponseLimit` for UDP and 65535 for TCP.
    /// An rcode above 15 needs OPT to carry it; without EDNS in the query it becomes
    /// SERVFAIL rather than a wrong low 4 bits.
    /// Returns false if even the question does not fit (cannot happen for UDP ≥ 512).
    @discardableResult
    public mutating func beginResponse(to query: DNSQuery, rcode: DNSRCode = .noError,
                                       authoritative: Bool = true, framing: Framing = .udp) -> Bool {
        let rcode = rcode.rawValue > 15 && query.edns == nil ? DNSRCode.servFail : rcode
        var h = DNSHeader(id: query.header.id)
        h.isResponse = true
        h.opcode = query.header.opcode
        h.recursionDesired = query.header.recursionDesired
        h.checkingDisabled = query.header.checkingDisabled
        h.authoritative = authoritative
        h.rcodeLow = UInt8(rcode.rawValue & 0xF)
        var edns: EDNS?
        if let q = query.edns {
            edns = EDNS(udpPayloadSize: UInt16(EDNS.maxUDPPayload), extendedRCode: UInt8(rcode.rawValue >> 4),
                        version: 0, dnssecOK: q.dnssecOK)
        }
        begin(header: h, limit: framing == .tcp ? 65535 : query.udpResponseLimit, edns: edns, framing: framing)
        return appendQuestion(query.question)
    }

    /// Appends a question. Only valid before any record.
    @discardableResult
    public mutating func appendQuestion(_ q: DNSQuestion) -> Bool {
        precondition(counts.an == 0 && counts.ns == 0 && counts.ar == 0, "questions come first")
        let mark = (end, table.count)
        do throws(NoRoom) {
            try putName(q.name, compress: true)
            try put16(q.type.rawValue)
            try put16(q.class.rawValue)
        } catch {
            (end, table.count) = mark
            isTruncated = true
            return false
        }
        counts.qd += 1
        return true
    }

    /// Appends one RR; false (and nothing written) if it does not fit. Running out of room
    /// in answer/authority sets TC and refuses everything after; in additional it does not
    /// (RFC 2181 §9: TC only when required data is missing).
    @discardableResult
    public mutating func append(_ record: DNSRecord, to section: DNSSection) -> Bool {
        // Not via appendRRset: wrapping one ~500-byte record in a collection copies it.
        guard enter(section) else { return false }
        let mark = (end, table.count)
        do throws(NoRoom) {
            try putRecord(record)
        } catch {
            return rollBack(to: mark, section)
        }
        count(1, in: section)
        return true
    }

    /// Appends a whole RRset or nothing (RFC 2181 §9), with `append`'s TC rules.
    @discardableResult
    public mutating func appendRRset(_ records: [DNSRecord], to section: DNSSection) -> Bool {
        guard enter(section) else { return false }
        let mark = (end, table.count)
        do throws(NoRoom) {
            for i in records.indices { try putRecord(records[i]) }
        } catch {
            return rollBack(to: mark, section)
        }
        count(records.count, in: section)
        return true
    }

    mutating func enter(_ section: DNSSection) -> Bool {
        precondition(section.rawValue >= self.section.rawValue, "sections must be written in order")
        self.section = section
        return !isTruncated
    }

    mutating func rollBack(to mark: (Int, Int), _ section: DNSSection) -> Bool {
        (end, table.count) = mark
        if section != .additional { isTruncated = true }
        return false
    }

    mutating func count(_ n: Int, in section: DNSSection) {
        // n fits: every RR takes at least 11 of at most 65535 bytes.
        switch section {
        case .answer: counts.an += UInt16(n)
        case .authority: counts.ns += UInt16(n)
        case .additional: counts.ar += UInt16(n)
        }
    }

    /// Writes OPT (if any), the counts, TC, and the TCP length prefix.
    public mutating func finish(ednsOptions: [EDNSOption] = []) {
        if let e = responseEDNS {
            limit += reservedForOPT  // the room kept for exactly this
            if (try? putOPT(e, options: ednsOptions)) != nil { counts.ar += 1 }
        }
        patch16(at: base + 4, counts.qd)
        patch16(at: base + 6, counts.an)
        patch16(at: base + 8, counts.ns)
        patch16(at: base + 10, counts.ar)
        if isTruncated { buffer[base + 2] |= 0x02 }
        if base == 2 { patch16(at: 0, UInt16(end - 2)) }
    }
}
