import Testing
@testable import DNSWire

/// A header with the given counts, then `rest`.
func packet(qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0, _ rest: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0xAB, 0xCD, 0x01, 0x00]
    for c in [qd, an, ns, ar] { b += [UInt8(c >> 8), UInt8(c & 0xFF)] }
    return b + rest
}

let aIN: [UInt8] = [0x00, 0x01, 0x00, 0x01]

/// A chain of `n` pointers, each to the one before, ending in an RR whose owner starts
/// the chain; carried in the RDATA of an unknown-type RR so every pointer points back.
func pointerChain(_ n: Int) -> [UInt8] {
    let question: [UInt8] = [0x00] + aIN                 // @12, 5 bytes
    let start = 12 + 5 + 11                              // RDATA of the first RR
    var rdata: [UInt8] = [0x00]                          // @start: root
    for i in 0..<n {                                     // pointer i -> pointer i-1 (or root)
        let t = i == 0 ? start : start + 1 + 2 * (i - 1)
        rdata += [0xC0 | UInt8(t >> 8), UInt8(t & 0xFF)]
    }
    let last = start + 1 + 2 * (n - 1)
    let first: [UInt8] = [0x00, 0xFF, 0x00, 0x00, 0x01, 0, 0, 0, 0, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)]
    let second: [UInt8] = [0xC0 | UInt8(last >> 8), UInt8(last & 0xFF)] + aIN + [0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
    return packet(qd: 1, an: 2, question + first + rdata + second)
}

struct Malformed: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    /// Expected from `DNSQuery`, nil if it decodes.
    var query: DNSWireError.Code?
    /// Expected from `DNSMessage`, nil if it decodes.
    var message: DNSWireError.Code?
    var testDescription: String { name }
}

let label64: [UInt8] = [64] + [UInt8](repeating: 0x61, count: 64) + [0]
let label63: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
let name256: [UInt8] = label63 + label63 + label63 + label63 + [0]

let malformed: [Malformed] = [
    Malformed(name: "zero-length", bytes: [], query: .truncated, message: .truncated),
    Malformed(name: "truncated header", bytes: [0x12, 0x34, 0x01, 0x00, 0x00], query: .truncated, message: .truncated),
    Malformed(name: "header only, qd 1", bytes: packet([]), query: .truncated, message: .truncated),
    Malformed(name: "no question", bytes: packet(qd: 0, []), query: .questionCount, message: nil),
    Malformed(name: "label > 63", bytes: packet(label64 + aIN), query: .labelTooLong, message: .labelTooLong),
    Malformed(name: "label type 0b10", bytes: packet([0x80, 0x00] + aIN), query: .labelTooLong, message: .labelTooLong),
    Malformed(name: "name > 255", bytes: packet(name256 + aIN), query: .nameTooLong, message: .nameTooLong),
    Malformed(name: "label runs past end", bytes: packet([0x05, 0x61]), query: .truncated, message: .truncated),
    Malformed(name: "pointer to itself", bytes: packet([0xC0, 0x0C] + aIN), query: .badPointer, message: .badPointer),
    Malformed(name: "pointer loop through a label", bytes: packet([0x01, 0x61, 0xC0, 0x0C] + aIN),
              query: .badPointer, message: .badPointer),
    Malformed(name: "forward pointer", bytes: packet([0xC0, 0x12] + aIN + [0x01, 0x61, 0x00]),
              query: .badPointer, message: .badPointer),
    Malformed(name: "pointer out of bounds", bytes: packet([0xFF, 0xFF] + aIN), query: .badPointer, message: .badPointer),
    // Offset 2 holds 01 00 00 01: the name "\\000." followed by QDCOUNT's low byte. Legal.
    Malformed(name: "pointer into the header reads as a name", bytes: packet([0xC0, 0x02] + aIN), query: nil, message: nil),
    Malformed(name: "half a pointer", bytes: packet([0xC0]), query: .truncated, message: .truncated),
    Malformed(name: "70 backward pointers", bytes: pointerChain(70), query: .pointerLoop, message: .pointerLoop),
    Malformed(name: "60 backward pointers are fine", bytes: pointerChain(60), query: nil, message: nil),
    Malformed(name: "question without type", bytes: packet([0x00, 0x00]), query: .truncated, message: .truncated),
    Malformed(name: "qdcount lies (3, has 1)", bytes: packet(qd: 3, [0x00] + aIN), query: .questionCount, message: .truncated),
    Malformed(name: "arcount lies", bytes: packet(ar: 2, [0x00] + aIN), query: .truncated, message: .truncated),
    Malformed(name: "rdlength past end", bytes: packet(ar: 1, [0x00] + aIN + [0x00] + aIN + [0, 0, 0, 0, 0, 100, 1, 2]),
              query: .badRData, message: .badRData),
    Malformed(name: "A with 5 bytes of RDATA", bytes: packet(ar: 1, [0x00] + aIN + [0x00] + aIN + [0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5]),
              query: nil, message: .badRData),
    Malformed(name: "CNAME name overruns RDATA", bytes: packet(an: 1, [0x00] + aIN + [0x00, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 1, 0x01, 0x61, 0x00]),
              query: nil, message: .badRData),
    Malformed(name: "two OPT", bytes: packet(ar: 2, [0x00] + aIN + Array(repeating: [0x00, 0x00, 0x29, 0x02, 0x00, 0, 0, 0, 0, 0, 0], count: 2).flatMap { $0 }),
              query: .badOPT, message: .badOPT),
    Malformed(name: "OPT with owner", bytes: packet(ar: 1, [0x00] + aIN + [0x01, 0x61, 0x00, 0x00, 0x29, 0x02, 0x00, 0, 0, 0, 0, 0, 0]),
              query: .badOPT, message: .badOPT),
    Malformed(name: "OPT option past RDATA", bytes: packet(ar: 1, [0x00] + aIN + [0x00, 0x00, 0x29, 0x02, 0x00, 0, 0, 0, 0, 0, 6, 0, 10, 0, 8, 1, 2]),
              query: .badOPT, message: .badOPT),
    Malformed(name: "65535 bytes of 0xFF", bytes: Array(repeating: 0xFF, count: 65535), query: .questionCount, message: .badPointer),
    Malformed(name: "65535 bytes of 0x00 (qd 0, then counts 0)", bytes: Array(repeating: 0, count: 65535), query: .questionCount, message: nil),
]

@Suite struct MalformedTests {
    @Test(arguments: malformed)
    func cleanError(_ c: Malformed) {
        do {
            _ = try DNSQuery(parsing: c.bytes)
            #expect(c.query == nil, "DNSQuery accepted it")
        } catch {
            #expect(error.code == c.query)
        }
        do {
            _ = try DNSMessage(parsing: c.bytes)
            #expect(c.message == nil, "DNSMessage accepted it")
        } catch {
            #expect(error.code == c.message)
        }
        // Whatever happened, the fuzz body must not find a disagreement.
        #expect(DNSWireFuzz.fuzzOne(c.bytes) != .mismatch)
    }

    @Test func randomGarbageOf65535Bytes() {
        var rng = SplitMix64(seed: 65535)
        for _ in 0..<20 {
            let bytes = (0..<65535).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(DNSWireFuzz.fuzzOne(bytes) != .mismatch)
        }
    }
}

/// A small deterministic PRNG for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
