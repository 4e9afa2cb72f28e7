/// The per-packet view of an incoming query: header, its one question and EDNS.
///
/// Decoding never allocates (names are inline) and never traps, whatever the bytes.
/// Answer and authority RRs (present in NOTIFY/UPDATE) are skipped by RDLENGTH; the
/// additional section is scanned for OPT. Bytes after the last counted RR are ignored.
public struct DNSQuery: Hashable, Sendable {
    public var header: DNSHeader
    public var question: DNSQuestion
    /// The OPT record's fields, or nil if the query had none.
    public var edns: EDNS?

    public init(header: DNSHeader, question: DNSQuestion, edns: EDNS? = nil) {
        self.header = header
        self.question = question
        self.edns = edns
    }

    /// Decodes a query. Throws `.questionCount` unless QDCOUNT is 1 (RFC 9619).
    /// For one message inside a larger receive buffer (recvmmsg slots, a TCP stream), pass
    /// `buffer.span.extracting(range)`: no copy. Offsets in errors are relative to it.
    /// The caller drops packets with QR set (`writeFormatError(forRaw:)` does too).
    public init(parsing s: Span<UInt8>) throws(DNSWireError) {
        var o = 0
        let id = try readU16(s, &o)
        let flags = try readU16(s, &o)
        let qd = try readU16(s, &o)
        let an = Int(try readU16(s, &o))
        let ns = Int(try readU16(s, &o))
        let ar = Int(try readU16(s, &o))
        guard qd == 1 else { throw DNSWireError(.questionCount, at: 4) }
        header = DNSHeader(id: id, flags: flags)
        question = try readQuestion(s, &o)
        edns = nil
        for _ in 0..<(an + ns) {
            let (_, head) = try readRRHead(s, &o)
            o = head.rdata.upperBound
        }
        for _ in 0..<ar {
            let start = o
            let (owner, head) = try readRRHead(s, &o)
            o = head.rdata.upperBound
            guard head.type == .opt else { continue }
            guard edns == nil else { throw DNSWireError(.badOPT, at: start) }
            edns = try readOPT(s, owner: owner, head: head)
        }
    }

    /// Decodes a query held in an array.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        try self.init(parsing: bytes.span)
    }

    /// Largest UDP response we send to this query: 512 without EDNS (RFC 1035 §4.2.1),
    /// else the client's size clamped to 512...1232.
    public var udpResponseLimit: Int {
        guard let edns else { return 512 }
        return min(max(Int(edns.udpPayloadSize), 512), EDNS.maxUDPPayload)
    }

    /// True if the query's EDNS version is one we do not speak: answer BADVERS.
    public var needsBadVers: Bool { (edns?.version ?? 0) != 0 }
}
