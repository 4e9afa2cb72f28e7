import Testing
@testable import DNSWire

/// Encodes a query (QR clear, RD set) with an optional OPT and options.
func queryBytes(_ name: DNSName, _ type: DNSType = .a, id: UInt16 = 0x4242, edns: EDNS? = nil,
                options: [EDNSOption] = [], opcode: DNSOpcode = .query) -> [UInt8] {
    var h = DNSHeader(id: id)
    h.recursionDesired = true
    h.opcode = opcode
    var w = DNSResponseWriter()
    _ = w.write(DNSMessage(header: h, questions: [DNSQuestion(name: name, type: type)],
                           edns: edns, ednsOptions: options))
    return Array(w.message)
}

func aRecords(_ owner: DNSName, _ n: Int) -> [DNSRecord] {
    (0..<n).map { DNSRecord(name: owner, ttl: 30, data: .a(0x0A00_0000 + UInt32($0))) }
}

@Suite struct TruncationTests {
    let owner: DNSName = "many.default.svc.cluster.local"

    @Test func fortyARecordsUnder512KeepWholeRecordsAndSetTC() throws {
        let q = try DNSQuery(parsing: queryBytes(owner))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        var added = 0
        for r in aRecords(owner, 40) where w.append(r, to: .answer) { added += 1 }
        w.finish()
        #expect(w.message.count <= 512)
        let m = try DNSMessage(parsing: Array(w.message))  // parses: only whole RRs
        #expect(m.header.truncated && w.truncated)
        #expect(m.answers.count == added && added == 29)   // 12 + (32 + 4) + 29 * 16 = 512
        #expect(m.answers == Array(aRecords(owner, 40).prefix(added)))
    }

    @Test func rrsetThatDoesNotFitIsDroppedWhole() throws {
        let q = try DNSQuery(parsing: queryBytes(owner))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        let ok1 = w.appendRRset(aRecords(owner, 40), to: .answer)
        #expect(!ok1)
        w.finish()
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.header.truncated && m.answers.isEmpty && m.questions.count == 1)
    }

    @Test func additionalThatDoesNotFitDoesNotSetTC() throws {
        let q = try DNSQuery(parsing: queryBytes(owner, .srv))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        let ok2 = w.appendRRset(aRecords(owner, 2), to: .answer)
        #expect(ok2)
        let ok3 = w.appendRRset(aRecords("x.default.svc.cluster.local", 40), to: .additional)
        #expect(!ok3)
        let ok4 = w.appendRRset(aRecords("y.default.svc.cluster.local", 1), to: .additional)
        #expect(ok4)
        w.finish()
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(!m.header.truncated && m.answers.count == 2 && m.additional.count == 1)
    }

    @Test func ednsPayloadIsCappedAt1232AndOPTAlwaysFits() throws {
        let q = try DNSQuery(parsing: queryBytes(owner, edns: EDNS(udpPayloadSize: 4096)))
        #expect(q.udpResponseLimit == 1232)
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        for r in aRecords(owner, 100) { w.append(r, to: .answer) }
        w.finish()
        #expect(w.message.count <= 1232 && w.message.count > 1200)
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.header.truncated)
        #expect(m.edns == EDNS(udpPayloadSize: 1232))
    }

    @Test(arguments: [(0, 512), (100, 512), (512, 512), (700, 700), (1232, 1232), (1400, 1232), (65535, 1232)])
    func udpLimit(_ advertised: Int, _ limit: Int) throws {
        let q = try DNSQuery(parsing: queryBytes(owner, edns: EDNS(udpPayloadSize: UInt16(advertised))))
        #expect(q.udpResponseLimit == limit)
    }

    @Test func tcpHas64KiB() throws {
        let q = try DNSQuery(parsing: queryBytes(owner))
        var w = DNSResponseWriter()
        w.beginResponse(to: q, framing: .tcp)
        let ok5 = w.appendRRset(aRecords(owner, 1000), to: .answer)
        #expect(ok5)
        w.finish()
        let framed = Array(w.framed)
        #expect(framed.count == w.message.count + 2)
        let next = try #require(DNSTCPFraming.nextMessage(in: framed, from: 0))
        #expect(next.message == 2..<framed.count && next.next == framed.count)
        #expect(try DNSMessage(parsing: Array(framed[next.message])).answers.count == 1000)
    }
}

@Suite struct EDNSTests {
    @Test func badVersIsExtendedRCode16WithOPTVersion0() throws {
        let q = try DNSQuery(parsing: queryBytes("a.b", edns: EDNS(udpPayloadSize: 1232, version: 1)))
        #expect(q.needsBadVers)
        var w = DNSResponseWriter()
        w.writeErrorResponse(to: q, rcode: .badVers)
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.rcode == .badVers)
        #expect(m.header.rcodeLow == 0)
        #expect(m.edns == EDNS(udpPayloadSize: 1232, extendedRCode: 1, version: 0))
    }

    @Test func unknownOptionsAreNotEchoedAndDOIs() throws {
        let opts = [EDNSOption(code: 10, data: Array(1...8)), EDNSOption(code: 65001, data: [9])]
        let q = try DNSQuery(parsing: queryBytes("a.b", edns: EDNS(udpPayloadSize: 4096, dnssecOK: true), options: opts))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        w.finish()
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.ednsOptions.isEmpty)
        #expect(m.edns == EDNS(udpPayloadSize: 1232, dnssecOK: true))
    }

    @Test func noOPTWithoutEDNS() throws {
        let q = try DNSQuery(parsing: queryBytes("a.b"))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        w.finish()
        #expect(try DNSMessage(parsing: Array(w.message)).edns == nil)
    }
}

@Suite struct ErrorResponseTests {
    @Test(arguments: [DNSRCode.formErr, .servFail, .nxDomain, .notImp, .refused])
    func echoesIdQuestionRDAndSetsQR(_ rcode: DNSRCode) throws {
        let q = try DNSQuery(parsing: queryBytes("WeB.Default.SVC.cluster.local", .aaaa, id: 777,
                                                 opcode: rcode == .notImp ? .update : .query))
        var w = DNSResponseWriter()
        w.writeErrorResponse(to: q, rcode: rcode)
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.header.id == 777 && m.header.isResponse && m.header.recursionDesired)
        #expect(m.header.opcode == q.header.opcode)
        #expect(m.rcode == rcode)
        #expect(m.header.authoritative == (rcode == .nxDomain))
        #expect(m.questions == [q.question])
        #expect(m.answers.isEmpty && m.authority.isEmpty && m.additional.isEmpty)
    }

    @Test func formErrFromRawBytesOrSilence() throws {
        var w = DNSResponseWriter()
        var bad = packet([0xC0, 0x0C] + aIN)  // pointer loop; id ABCD, RD
        let ok6 = w.writeFormatError(forRaw: bad)
        #expect(ok6)
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.header.id == 0xABCD && m.header.isResponse && m.header.recursionDesired)
        #expect(m.rcode == .formErr && m.questions.isEmpty && m.edns == nil)
        let ok7 = w.writeFormatError(forRaw: Array(bad.prefix(11)))  // no header: silent
        #expect(!ok7)
        bad[2] |= 0x80                                                // a response: silent
        let ok8 = w.writeFormatError(forRaw: bad)
        #expect(!ok8)
    }

    @Test func caseOfTheQuestionIsEchoed() throws {
        let asked: DNSName = "KuBe-DnS.Kube-System.SVC.Cluster.Local"
        let q = try DNSQuery(parsing: queryBytes(asked))
        #expect(q.question.name.matches("kube-dns.kube-system.svc.cluster.local"))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        w.append(DNSRecord(name: q.question.name, ttl: 5, data: .a(0x0A60_000A)), to: .answer)
        w.finish()
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.questions[0].name == asked && m.answers[0].name == asked)
        #expect(m.questions[0].name.description == "KuBe-DnS.Kube-System.SVC.Cluster.Local.")
    }

    @Test func anyGetsOneHINFO() throws {
        let q = try DNSQuery(parsing: queryBytes("web.default.svc.cluster.local", .any))
        var w = DNSResponseWriter()
        w.beginResponse(to: q)
        w.appendMinimalANY(for: q.question)
        w.finish()
        let m = try DNSMessage(parsing: Array(w.message))
        #expect(m.answers == [DNSRecord(name: q.question.name, ttl: 3600,
                                        data: .hinfo(cpu: Array("RFC8482".utf8), os: []))])
    }
}

@Suite struct TCPFramingTests {
    @Test func threePipelinedQueriesAndAPartialOne() throws {
        var stream: [UInt8] = []
        for id in UInt16(1)...4 {
            let q = queryBytes(try parseName("svc\(id).cluster.local"), id: id)
            let (hi, lo) = DNSTCPFraming.lengthPrefix(q.count)
            stream += [hi, lo] + q
        }
        stream.removeLast(5)  // the 4th is cut mid-message
        var ids: [UInt16] = []
        var offset = 0
        while let f = DNSTCPFraming.nextMessage(in: stream, from: offset) {
            // Zero-copy: decode straight out of the stream buffer.
            ids.append(try DNSQuery(parsing: stream.span.extracting(f.message)).header.id)
            offset = f.next
        }
        #expect(ids == [1, 2, 3])
        #expect(stream.count - offset == queryBytes("svc4.cluster.local").count + 2 - 5)
        #expect(DNSTCPFraming.nextMessage(in: Array(stream.prefix(offset + 1)), from: offset) == nil)
    }

    @Test func zeroLengthFrameIsAnEmptyMessage() throws {
        let f = try #require(DNSTCPFraming.nextMessage(in: [0, 0, 9], from: 0))
        #expect(f.message == 2..<2 && f.next == 2)
        #expect(throws: DNSWireError(.truncated, at: 0)) { try DNSQuery(parsing: [UInt8]()) }
    }
}

@Suite struct RCodeEdgeTests {
    @Test func extendedRCodeWithoutEDNSBecomesServFail() throws {
        let q = try DNSQuery(parsing: queryBytes("a.b"))
        var w = DNSResponseWriter()
        w.writeErrorResponse(to: q, rcode: .badVers)
        #expect(try DNSMessage(parsing: Array(w.message)).rcode == .servFail)
    }

    @Test func anyInClassAnyAnswersClassIN() throws {
        var w = DNSResponseWriter()
        let question = DNSQuestion(name: "a.b", type: .any, class: .any)
        w.begin(header: DNSHeader(id: 1), limit: 512, edns: nil)
        w.appendQuestion(question)
        w.appendMinimalANY(for: question)
        w.finish()
        #expect(try DNSMessage(parsing: Array(w.message)).answers.map(\.class) == [.in])
    }
}
