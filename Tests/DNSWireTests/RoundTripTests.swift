import Testing
@testable import DNSWire

/// Encodes with `DNSResponseWriter.write` and returns the bytes.
func encode(_ m: DNSMessage, limit: Int = 65535) -> [UInt8] {
    var w = DNSResponseWriter()
    let complete = w.write(m, limit: limit)
    #expect(complete)
    return Array(w.message)
}

let everyType: [DNSRecord] = [
    DNSRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .a(0x0A60_0001)),
    DNSRecord(name: "web.default.svc.cluster.local", ttl: 5,
              data: .aaaa(high: 0xFD00_0000_0000_0000, low: 0x0000_0000_0000_0001)),
    DNSRecord(name: "alias.default.svc.cluster.local", ttl: 5, data: .cname("web.default.svc.cluster.local")),
    DNSRecord(name: "1.0.96.10.in-addr.arpa", ttl: 5, data: .ptr("web.default.svc.cluster.local")),
    DNSRecord(name: "cluster.local", ttl: 5, data: .ns("ns.dns.cluster.local")),
    DNSRecord(name: "_http._tcp.web.default.svc.cluster.local", ttl: 5,
              data: .srv(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local")),
    DNSRecord(name: "web.default.svc.cluster.local", ttl: 5,
              data: .txt([Array("v=1".utf8), [], Array(repeating: 0x61, count: 255)])),
    DNSRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .txt([])),
    DNSRecord(name: "web.default.svc.cluster.local", ttl: 3600,
              data: .hinfo(cpu: Array("RFC8482".utf8), os: [])),
    DNSRecord(name: "web.default.svc.cluster.local", class: .ch, ttl: 0,
              data: .unknown(type: DNSType(65280), data: [1, 2, 3, 0xC0, 0x0C])),
]

let soa = DNSRecord(name: "cluster.local", ttl: 30, data: .soa(.init(
    mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local",
    serial: 2026112301, refresh: 7200, retry: 1800, expire: 86400, minimum: 30)))

@Suite struct RoundTripTests {
    @Test func everyRecordTypeInEverySection() throws {
        var h = DNSHeader(id: 0xBEEF)
        h.isResponse = true
        h.authoritative = true
        h.authenticData = true
        h.rcodeLow = 3
        let m = DNSMessage(
            header: h,
            questions: [DNSQuestion(name: "Web.Default.svc.cluster.local", type: .any)],
            answers: everyType, authority: [soa], additional: everyType.reversed(),
            edns: EDNS(udpPayloadSize: 1232, extendedRCode: 0, version: 0, dnssecOK: true),
            ednsOptions: [EDNSOption(code: 10, data: Array(1...8)), EDNSOption(code: 65001, data: [])])
        #expect(try DNSMessage(parsing: encode(m)) == m)
    }

    @Test(arguments: everyType + [soa])
    func singleRecord(_ r: DNSRecord) throws {
        let m = DNSMessage(header: DNSHeader(id: 7), answers: [r])
        #expect(try DNSMessage(parsing: encode(m)) == m)
    }

    @Test func srvTargetIsNeverCompressed() throws {
        let target: DNSName = "web.default.svc.cluster.local"
        let m = DNSMessage(header: DNSHeader(id: 1), answers: [
            DNSRecord(name: target, ttl: 5, data: .a(1)),
            DNSRecord(name: "_http._tcp.default.svc.cluster.local", ttl: 5,
                      data: .srv(priority: 1, weight: 2, port: 3, target: target)),
        ])
        let bytes = encode(m)
        // The SRV RDATA ends with the full target: 6 fixed bytes + 31 bytes of name.
        let tail = Array(bytes.suffix(target.wireLength))
        #expect(tail == (0..<target.wireLength).map { target[wire: $0] })
        #expect(try DNSMessage(parsing: bytes) == m)
    }

    @Test func queryDecoderAgreesWithMessageDecoder() throws {
        var h = DNSHeader(id: 99)
        h.recursionDesired = true
        h.checkingDisabled = true
        let m = DNSMessage(header: h, questions: [DNSQuestion(name: "a.b", type: .srv)],
                           additional: [everyType[0]], edns: EDNS(udpPayloadSize: 700, version: 0))
        let q = try DNSQuery(parsing: encode(m))
        #expect(q.header == h && q.question == m.questions[0] && q.edns == m.edns)
        #expect(q.udpResponseLimit == 700)
    }
}

@Suite struct DNSNameTests {
    @Test func textForms() throws {
        #expect(DNSName.root.description == ".")
        #expect(try parseName(".") == .root)
        #expect(try parseName("a.b").description == "a.b.")
        #expect(try parseName("a\\.b.c.").labelCount == 2)
        #expect(try parseName("a\\.b.c.").description == "a\\.b.c.")
        #expect(try parseName("\\000x.c").description == "\\000x.c.")
        #expect(throws: DNSWireError(.badName, at: 2)) { try parseName("a..b") }
        #expect(throws: DNSWireError.self) { try parseName(String(repeating: "a", count: 64)) }
        let long = Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".")
        #expect(throws: DNSWireError.self) { try parseName(long) }  // 4*64+1 = 257 > 255
    }

    @Test func caseInsensitiveMatchingKeepsCase() throws {
        let asked: DNSName = "WwW.ExAmPlE.CoM"
        #expect(asked != "www.example.com")
        #expect(asked.matches("www.example.com"))
        #expect(asked.lowercased() == "www.example.com")
        #expect(asked.description == "WwW.ExAmPlE.CoM.")
        #expect(asked.isSubdomain(of: "example.COM"))
        #expect(asked.isSubdomain(of: .root))
        #expect(!asked.isSubdomain(of: "le.com"))
        #expect(!("example.com" as DNSName).isSubdomain(of: asked))
    }
}

/// `DNSName(_:)` with a literal argument would use the trapping literal init (SE-0213).
func parseName(_ text: String) throws(DNSWireError) -> DNSName { try DNSName(text) }
