extension DNSResponseWriter {
    /// A complete error response to a decoded query: id, opcode, RD, CD and the question
    /// echoed, QR set, no records; an OPT if the query had one. AA is set only for
    /// NXDOMAIN (add the zone's SOA yourself for negative caching, RFC 2308 §3, by using
    /// `beginResponse` instead). `.badVers` sends extended rcode 1 in OPT, header rcode 0.
    public mutating func writeErrorResponse(to query: DNSQuery, rcode: DNSRCode, framing: Framing = .udp) {
        beginResponse(to: query, rcode: rcode, authoritative: rcode == .nxDomain, framing: framing)
        finish()
    }

    /// FORMERR for bytes `DNSQuery` rejected: header only, echoing id, opcode and RD, no
    /// question and no OPT (RFC 6891 §7: the OPT may be what was malformed).
    /// Returns false, writing nothing useful, when the server should stay silent: fewer
    /// than 12 bytes (no id to echo) or QR already set (never answer a response).
    public mutating func writeFormatError(forRaw s: Span<UInt8>, framing: Framing = .udp) -> Bool {
        guard s.count >= 12, s[2] & 0x80 == 0 else { return false }
        var h = DNSHeader(id: UInt16(s[0]) << 8 | UInt16(s[1]))
        let query = DNSHeader(flags: UInt16(s[2]) << 8 | UInt16(s[3]))
        h.isResponse = true
        h.opcode = query.opcode
        h.recursionDesired = query.recursionDesired
        h.rcodeLow = UInt8(DNSRCode.formErr.rawValue)
        begin(header: h, limit: 512, edns: nil, framing: framing)
        finish()
        return true
    }

    /// `writeFormatError(forRaw:)` for bytes in an array.
    public mutating func writeFormatError(forRaw bytes: [UInt8], framing: Framing = .udp) -> Bool {
        writeFormatError(forRaw: bytes.span, framing: framing)
    }

    /// The RFC 8482 §4.2 answer to QTYPE=ANY: one synthesized HINFO, CPU "RFC8482" and
    /// OS "", owned by the query name. We choose this over "the best RRset" because it
    /// costs one fixed record, needs no zone lookup order, and never amplifies. Call it
    /// after `beginResponse` for names that exist (NXDOMAIN stays NXDOMAIN).
    /// The TTL is ours to pick; an hour keeps resolvers from asking again soon. QCLASS
    /// ANY gets class IN.
    @discardableResult
    public mutating func appendMinimalANY(for question: DNSQuestion, ttl: UInt32 = 3600) -> Bool {
        let rrclass = question.class == .any ? DNSClass.in : question.class
        return append(DNSRecord(name: question.name, class: rrclass, ttl: ttl,
                         data: .hinfo(cpu: DNSResponseWriter.rfc8482, os: [])), to: .answer)
    }

    static let rfc8482: [UInt8] = Array("RFC8482".utf8)

    /// Writes a whole message as given (header flags, rcode, sections, OPT and options),
    /// for tools and tests. Returns false if anything was left out under `limit`.
    public mutating func write(_ m: DNSMessage, limit: Int = 65535, framing: Framing = .udp) -> Bool {
        var optionBytes = 0
        for o in m.ednsOptions { optionBytes += 4 + o.data.count }
        begin(header: m.header, limit: limit, edns: m.edns, ednsOptionBytes: optionBytes, framing: framing)
        var ok = true
        for q in m.questions { ok = appendQuestion(q) && ok }
        for r in m.answers { ok = append(r, to: .answer) && ok }
        for r in m.authority { ok = append(r, to: .authority) && ok }
        for r in m.additional { ok = append(r, to: .additional) && ok }
        finish(ednsOptions: m.ednsOptions)
        if m.header.truncated { buffer[base + 2] |= 0x02 }
        return ok
    }
}
