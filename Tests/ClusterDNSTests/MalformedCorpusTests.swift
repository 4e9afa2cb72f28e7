import ClusterDNS
import DNSWire
import Foundation
import Testing
import TestSupport

/// Hostile input: every packet that does not decode gets FORMERR or silence, never a
/// crash, in process and over the wire.
@Suite struct MalformedCorpusTests {
    /// Hand-made bad packets, each with a valid 12-byte header where it matters.
    static var corpus: [[UInt8]] {
        let h: [UInt8] = [0x11, 0x22, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        var out: [[UInt8]] = []
        out.append([])                                            // empty
        out.append([0x11])                                        // 1 byte
        out.append(Array(h.prefix(11)))                           // short header
        out.append(h)                                             // QDCOUNT 1, no question
        out.append(h + [0xC0, 0x0C, 0, 1, 0, 1])                  // pointer to itself
        out.append(h + [0xC0, 0xFF, 0, 1, 0, 1])                  // pointer past the end
        out.append(h + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1])  // label 64
        out.append(h + [0x80, 0x61, 0, 0, 1, 0, 1])                // label type 0b10
        out.append(h + Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 5).flatMap { $0 } + [0, 0, 1, 0, 1])
        out.append(h + [3, 0x61, 0x62, 0x63, 0, 0, 1])            // question cut in class
        var two = h; two[5] = 2
        out.append(two + [1, 0x61, 0, 0, 1, 0, 1, 1, 0x62, 0, 0, 1, 0, 1])  // two questions
        var zero = h; zero[5] = 0
        out.append(zero)                                          // no question
        var ar = h; ar[11] = 1
        out.append(ar + [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 9])  // OPT rdlen past end
        var ar2 = h; ar2[11] = 2
        let opt: [UInt8] = [0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]
        out.append(ar2 + [1, 0x61, 0, 0, 1, 0, 1] + opt + opt)     // two OPTs
        out.append(ar + [1, 0x61, 0, 0, 1, 0, 1, 1, 0x62, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])  // OPT not at root
        out.append(ar + [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0])  // option cut
        var an = h; an[7] = 5
        out.append(an + [1, 0x61, 0, 0, 1, 0, 1])                 // ANCOUNT lies
        return out
    }

    /// Seeded mutations of valid queries.
    static func mutated(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix(seed)
        let seeds: [[UInt8]] = [Raw.query("web.default.svc.cluster.local.", .a),
                                Raw.query("_http._tcp.hl.default.svc.cluster.local.", .srv, edns: EDNS()),
                                Raw.query("10.0.96.10.in-addr.arpa.", .ptr)]
        return (0..<count).map { _ in
            var p = seeds[Int(rng.next() % 3)]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                switch rng.next() % 3 {
                case 0: p[Int(rng.next() % UInt64(p.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 1: if p.count > 1 { p.removeLast(Int(rng.next() % UInt64(p.count))) }
                default: p.append(UInt8(truncatingIfNeeded: rng.next()))
                }
            }
            return p
        }
    }

    @Test func inProcessCorpusGetsFORMERROrSilence() {
        let zone = SpecFixture.zone().snapshot
        var w = DNSResponseWriter(capacity: 65535)
        for p in Self.corpus + Self.mutated(count: 50_000, seed: 8) {
            let decodable = (try? DNSQuery(parsing: p)) != nil
            let verdict = QueryHandler.handle(p.span, zone: zone, writer: &w, framing: .udp, canForward: false)
            guard !decodable else { continue }  // a mutation that is still a query gets a real answer
            switch verdict {
            case .reply(let rcode, _): #expect(rcode == .formErr, "\(p)")
            case .drop: break
            case .forward, .autopathForward: Issue.record("forwarded garbage \(p)")
            }
        }
    }

    @Test func overTheWireCorpusGetsFORMERROrSilence() throws {
        let port = specServer.port
        for p in Self.corpus {
            guard let r = Raw.udp(p, port: port, timeoutMilliseconds: 200) else { continue }  // silence
            let m = try DNSMessage(parsing: r)
            #expect(m.rcode == .formErr, "\(p) → \(m)")
        }
        // Then the server still answers.
        let ok = try #require(Raw.udp(Raw.query("web.default.svc.cluster.local.", .a), port: port))
        #expect(try DNSMessage(parsing: ok).answers.count == 1)
    }
}

/// A tiny deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
