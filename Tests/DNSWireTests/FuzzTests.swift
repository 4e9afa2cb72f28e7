import Testing
@testable import DNSWire

/// Valid messages to mutate: queries, compressed responses, every RR type, OPT options.
func fuzzSeeds() -> [[UInt8]] {
    var seeds = [goldenQuery, goldenResponse,
                 queryBytes("a.b", edns: EDNS(udpPayloadSize: 4096), options: [EDNSOption(code: 10, data: Array(1...8))])]
    var h = DNSHeader(id: 1)
    h.isResponse = true
    seeds.append(encode(DNSMessage(header: h, questions: [DNSQuestion(name: "web.default.svc.cluster.local", type: .any)],
                                   answers: everyType, authority: [soa], additional: everyType,
                                   edns: EDNS(), ednsOptions: [EDNSOption(code: 65001, data: [1, 2])])))
    seeds.append(encode(DNSMessage(header: h, questions: [DNSQuestion(name: "x.y", type: .a)],
                                   answers: aRecords("x.y", 8))))
    return seeds
}

/// One mutation of `seed`, biased toward the bytes that steer a DNS parser.
func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var b = seed
    let interesting: [UInt8] = [0x00, 0x01, 0x3F, 0x40, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xFF]
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let at = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !b.isEmpty: b[at] = UInt8.random(in: 0...255, using: &rng)
        case 1 where !b.isEmpty: b[at] = interesting.randomElement(using: &rng)!
        case 2 where !b.isEmpty: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 3: b.removeLast(min(b.count, Int.random(in: 1...16, using: &rng)))
        case 4: b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case 5 where at + 1 < b.count:  // a compression pointer to anywhere
            let t = Int.random(in: 0..<max(1, b.count + 8), using: &rng)
            b[at] = 0xC0 | UInt8((t >> 8) & 0x3F)
            b[at + 1] = UInt8(t & 0xFF)
        case 6 where b.count >= 12:     // a count in the header
            b[4 + 2 * Int.random(in: 0..<4, using: &rng) + 1] = UInt8.random(in: 0...12, using: &rng)
        default: break
        }
    }
    return b
}

@Suite struct FuzzTests {
    @Test func twoHundredThousandRandomAndMutatedPackets() {
        var rng = SplitMix64(seed: 0x7E11_1500_D115)
        let seeds = fuzzSeeds()
        var writer = DNSResponseWriter()
        var outcomes: [DNSWireFuzz.Outcome: Int] = [:]
        var mismatches: [[UInt8]] = []
        for i in 0..<200_000 {
            let bytes: [UInt8]
            if i % 4 == 0 {
                // Random bytes behind a plausible header (small counts), any length.
                var r = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                for k in stride(from: 5, to: min(r.count, 12), by: 2) { r[k] &= 0x03 }
                for k in stride(from: 4, to: min(r.count, 12), by: 2) { r[k] = 0 }
                bytes = r
            } else {
                bytes = mutate(seeds[i % seeds.count], &rng)
            }
            let o = DNSWireFuzz.fuzzOne(bytes, writer: &writer)
            outcomes[o, default: 0] += 1
            if o == .mismatch && mismatches.count < 3 { mismatches.append(bytes) }
        }
        print("DNSWire fuzz: 200000 inputs:", outcomes.sorted { $0.value > $1.value }
            .map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches)")
        #expect(outcomes[.roundTripped, default: 0] > 20_000)
    }
}

/// Inputs the fuzz test once failed on, kept as plain cases.
@Suite struct FuzzRegressionTests {
    // Owner names that point into RDATA / the header decode to names with repeated
    // labels; the writer compressed a suffix against the name it was still writing.
    static let cases: [[UInt8]] = [
        [0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
         0x03, 0x77, 0x77, 0x77, 0x07, 0x45, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x03, 0x63, 0x6F, 0x6D, 0x00,
         0x00, 0x01, 0x00, 0x01,
         0xC0, 0x01, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00, 0x06, 0x03, 0x77, 0x65, 0x62, 0xC0, 0x10,
         0xC0, 0x2D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00, 0x04, 0x0A, 0x00, 0x00, 0x01,
         0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00],
        [0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x78, 0x01, 0x79,
         0x00, 0x00, 0x01, 0x00, 0x01, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x00, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x01, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x02, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x03, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x04, 0xC0, 0x28, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x05, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x06, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1E, 0x00,
         0x04, 0x0A, 0x00, 0x00, 0x07,],
    ]

    @Test(arguments: cases)
    func roundTrips(_ bytes: [UInt8]) {
        #expect(DNSWireFuzz.fuzzOne(bytes) == .roundTripped)
    }

    @Test func repeatedLabelsCompressOnlyAgainstCompleteNames() throws {
        let m = DNSMessage(header: DNSHeader(id: 1), answers: [
            DNSRecord(name: "a.a.a.a", ttl: 1, data: .cname("a.a.a.a.a")),
            DNSRecord(name: "\\001.\\001.\\001", ttl: 1, data: .a(1)),
        ])
        #expect(try DNSMessage(parsing: encode(m)) == m)
    }
}
