import Testing
@testable import DNSWire

/// `dig +dnssec www.Example.com A` as sent: RD, one question, OPT with 4096 and DO.
let goldenQuery: [UInt8] = [
    0x12, 0x34,              // id
    0x01, 0x00,              // flags: RD
    0x00, 0x01,              // QDCOUNT 1
    0x00, 0x00,              // ANCOUNT 0
    0x00, 0x00,              // NSCOUNT 0
    0x00, 0x01,              // ARCOUNT 1 (OPT)
    // question @12: www.Example.com. A IN
    0x03, 0x77, 0x77, 0x77,                          // @12 "www"
    0x07, 0x45, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,  // @16 "Example"
    0x03, 0x63, 0x6F, 0x6D,                          // @24 "com"
    0x00,                                            // @28 root
    0x00, 0x01,              // QTYPE A
    0x00, 0x01,              // QCLASS IN
    // OPT
    0x00,                    // owner: root
    0x00, 0x29,              // TYPE 41
    0x10, 0x00,              // CLASS = UDP payload 4096
    0x00, 0x00, 0x80, 0x00,  // TTL: ext rcode 0, version 0, DO
    0x00, 0x00,              // RDLENGTH 0
]

/// Our answer: a CNAME to web.Example.com and its A record, both compressed.
let goldenResponse: [UInt8] = [
    0x12, 0x34,              // id echoed
    0x85, 0x00,              // flags: QR AA RD, rcode 0
    0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,  // QD 1, AN 2, NS 0, AR 1
    // question echoed as asked, @12
    0x03, 0x77, 0x77, 0x77, 0x07, 0x45, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,
    0x03, 0x63, 0x6F, 0x6D, 0x00, 0x00, 0x01, 0x00, 0x01,
    // @33 www.Example.com. 30 IN CNAME web.Example.com.
    0xC0, 0x0C,              // owner -> @12
    0x00, 0x05, 0x00, 0x01,  // CNAME IN
    0x00, 0x00, 0x00, 0x1E,  // TTL 30
    0x00, 0x06,              // RDLENGTH 6
    0x03, 0x77, 0x65, 0x62,  // @45 "web"
    0xC0, 0x10,              // -> @16 "Example.com."
    // @51 web.Example.com. 30 IN A 10.0.0.1
    0xC0, 0x2D,              // owner -> @45
    0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00, 0x04,
    0x0A, 0x00, 0x00, 0x01,
    // OPT: payload capped at 1232, DO echoed, no options
    0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
]

@Suite struct GoldenBytesTests {
    @Test func decodesGoldenQuery() throws {
        let q = try DNSQuery(parsing: goldenQuery)
        #expect(q.header.id == 0x1234)
        #expect(q.header.recursionDesired && !q.header.isResponse)
        #expect(q.header.opcode == .query)
        #expect(q.question == DNSQuestion(name: "www.Example.com.", type: .a))
        #expect(q.edns == EDNS(udpPayloadSize: 4096, dnssecOK: true))
        #expect(q.udpResponseLimit == 1232)
    }

    @Test func encodesGoldenQuery() {
        var w = DNSResponseWriter()
        var h = DNSHeader(id: 0x1234)
        h.recursionDesired = true
        w.begin(header: h, limit: 512, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        w.appendQuestion(DNSQuestion(name: "www.Example.com", type: .a))
        w.finish()
        #expect(Array(w.message) == goldenQuery)
    }

    @Test func encodesGoldenResponseWithCompression() throws {
        let q = try DNSQuery(parsing: goldenQuery)
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        let ok1 = w.append(DNSRecord(name: q.question.name, ttl: 30, data: .cname("web.Example.com")), to: .answer)
        let ok2 = w.append(DNSRecord(name: "web.Example.com", ttl: 30, data: .a(0x0A00_0001)), to: .answer)
        #expect(ok1 && ok2)
        w.finish()
        #expect(Array(w.message) == goldenResponse)
        let m = try DNSMessage(parsing: goldenResponse)
        #expect(m.answers.map(\.name) == ["www.Example.com", "web.Example.com"])
        #expect(m.rcode == .noError && m.header.authoritative && m.header.isResponse)
    }
}
