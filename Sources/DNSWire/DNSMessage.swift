/// A whole message, every section decoded. Used for tests, tools and the fuzz harness;
/// unlike `DNSQuery` it allocates (arrays of records).
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    /// Additional records other than OPT.
    public var additional: [DNSRecord]
    /// The OPT record's fields, if present.
    public var edns: EDNS?
    /// The OPT record's options, in order.
    public var ednsOptions: [EDNSOption]

    public init(header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
                authority: [DNSRecord] = [], additional: [DNSRecord] = [],
                edns: EDNS? = nil, ednsOptions: [EDNSOption] = []) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
        self.ednsOptions = ednsOptions
    }

    /// The full 12-bit rcode (header bits plus OPT's extended bits).
    public var rcode: DNSRCode {
        DNSRCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow))
    }

    /// Decodes every section. Never traps.
    public init(parsing s: Span<UInt8>) throws(DNSWireError) {
        var o = 0
        let id = try readU16(s, &o)
        let flags = try readU16(s, &o)
        let qd = Int(try readU16(s, &o))
        let an = Int(try readU16(s, &o))
        let ns = Int(try readU16(s, &o))
        let ar = Int(try readU16(s, &o))
        self.init(header: DNSHeader(id: id, flags: flags))
        // Counts are untrusted: every entry needs at least 5 (question) or 11 (RR) bytes,
        // so a lying count fails on `.truncated` before reserving much.
        for _ in 0..<qd { questions.append(try readQuestion(s, &o)) }
        for _ in 0..<an { answers.append(try DNSMessage.readRecord(s, &o)) }
        for _ in 0..<ns { authority.append(try DNSMessage.readRecord(s, &o)) }
        for _ in 0..<ar {
            let start = o
            let (owner, head) = try readRRHead(s, &o)
            if head.type == .opt {
                guard edns == nil else { throw DNSWireError(.badOPT, at: start) }
                edns = try readOPT(s, owner: owner, head: head)
                ednsOptions = try readOPTOptions(s, head.rdata)
                o = head.rdata.upperBound
            } else {
                additional.append(try DNSMessage.readRecord(s, &o, owner: owner, head: head))
            }
        }
    }

    /// Decodes a message held in an array.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        try self.init(parsing: bytes.span)
    }

    static func readRecord(_ s: Span<UInt8>, _ o: inout Int) throws(DNSWireError) -> DNSRecord {
        let (owner, head) = try readRRHead(s, &o)
        return try readRecord(s, &o, owner: owner, head: head)
    }

    static func readRecord(_ s: Span<UInt8>, _ o: inout Int, owner: DNSName, head: RRHead) throws(DNSWireError) -> DNSRecord {
        let data = try readRData(s, head)
        o = head.rdata.upperBound
        return DNSRecord(name: owner, class: DNSClass(rawValue: head.rrclass), ttl: head.ttl, data: data)
    }

    /// Decodes RDATA; names are decompressed for the RFC 1035 types and SRV (RFC 3597 §4).
    static func readRData(_ s: Span<UInt8>, _ head: RRHead) throws(DNSWireError) -> DNSRData {
        var o = head.rdata.lowerBound
        let end = head.rdata.upperBound
        let data: DNSRData
        switch head.type {
        case .a:
            guard head.rdata.count == 4 else { throw DNSWireError(.badRData, at: o) }
            data = .a(try readU32(s, &o))
        case .aaaa:
            guard head.rdata.count == 16 else { throw DNSWireError(.badRData, at: o) }
            let hi = UInt64(try readU32(s, &o)) << 32 | UInt64(try readU32(s, &o))
            let lo = UInt64(try readU32(s, &o)) << 32 | UInt64(try readU32(s, &o))
            data = .aaaa(high: hi, low: lo)
        case .cname: data = .cname(try readName(s, &o))
        case .ptr: data = .ptr(try readName(s, &o))
        case .ns: data = .ns(try readName(s, &o))
        case .soa:
            let m = try readName(s, &o)
            let r = try readName(s, &o)
            guard o + 20 <= end else { throw DNSWireError(.badRData, at: o) }
            data = .soa(.init(mname: m, rname: r, serial: try readU32(s, &o), refresh: try readU32(s, &o),
                              retry: try readU32(s, &o), expire: try readU32(s, &o), minimum: try readU32(s, &o)))
        case .srv:
            guard o + 6 <= end else { throw DNSWireError(.badRData, at: o) }
            let pr = try readU16(s, &o), w = try readU16(s, &o), port = try readU16(s, &o)
            data = .srv(priority: pr, weight: w, port: port, target: try readName(s, &o))
        case .txt:
            var strings: [[UInt8]] = []
            while o < end {
                let n = Int(try readU8(s, &o))
                guard o + n <= end else { throw DNSWireError(.badRData, at: o) }
                strings.append(try readBytes(s, &o, n))
            }
            data = .txt(strings)
        case .hinfo:
            var two: [[UInt8]] = []
            for _ in 0..<2 {
                guard o < end else { throw DNSWireError(.badRData, at: o) }
                let n = Int(try readU8(s, &o))
                guard o + n <= end else { throw DNSWireError(.badRData, at: o) }
                two.append(try readBytes(s, &o, n))
            }
            data = .hinfo(cpu: two[0], os: two[1])
        default:
            data = .unknown(type: head.type, data: try readBytes(s, &o, head.rdata.count))
        }
        guard o == end else { throw DNSWireError(.badRData, at: o) }
        return data
    }
}
