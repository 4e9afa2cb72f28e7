import Foundation
import KubeAPI
import Testing

/// Seeded random documents: the fast reader must agree with JSONDecoder on valid ones and must
/// never trap on broken ones (truncated, a byte changed).
@Suite("JSONReader fuzz")
struct JSONReaderFuzzTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomString(_ rng: inout SplitMix) -> String {
        let pieces = ["a", "Z", "0", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\ud83d\\ude00", "é", "✓", "-", "."]
        return (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func randomNumber(_ rng: inout SplitMix) -> String {
        ["0", "-0", "7", "-42", "3.25", "-0.5e-3", "1E3", "2.5e1", "9223372036854775807", "123456789012345678901",
         "1e300", "0.1"].randomElement(using: &rng)!
    }

    static func randomDocument(_ rng: inout SplitMix, depth: Int = 0) -> String {
        let ws = ["", " ", "\n", "\t ", "\r\n"].randomElement(using: &rng)!
        let choice = depth == 0 ? Int.random(in: 5...6, using: &rng)
            : depth > 3 ? Int.random(in: 0...4, using: &rng) : Int.random(in: 0...6, using: &rng)
        switch choice {
        case 0: return "\"\(randomString(&rng))\""
        case 1: return randomNumber(&rng)
        case 2: return ["true", "false"].randomElement(using: &rng)!
        case 3: return "null"
        case 4: return "\"\(randomString(&rng))\""
        case 5:
            let items = (0..<Int.random(in: 0...4, using: &rng)).map { _ in ws + randomDocument(&rng, depth: depth + 1) + ws }
            return "[" + items.joined(separator: ",") + "]"
        default:
            var seen = Set<String>()
            let members = (0..<Int.random(in: 0...4, using: &rng)).compactMap { _ -> String? in
                let key = randomString(&rng)
                guard seen.insert(key).inserted else { return nil }
                return "\(ws)\"\(key)\"\(ws):\(ws)\(randomDocument(&rng, depth: depth + 1))"
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    @Test func validDocumentsAgreeWithJSONDecoder() throws {
        var rng = SplitMix(state: 20_260_501)
        var totalBytes = 0, containers = 0
        for _ in 0..<2_000 {
            let text = Self.randomDocument(&rng)
            totalBytes += text.utf8.count
            if text.hasPrefix("{") || text.hasPrefix("[") { containers += 1 }
            let data = Data(text.utf8)
            let fast = try KubeJSON.decode(JSONValue.self, from: data)
            let reference = try JSONDecoder().decode(JSONValue.self, from: data)
            #expect(fast == reference, "\(text)")
            // The writer too: what it writes, JSONDecoder reads back as the same tree.
            #expect(try JSONDecoder().decode(JSONValue.self, from: KubeJSON.encode(fast)) == reference, "\(text)")
        }
        // The generator must produce real documents, not just scalars.
        #expect(totalBytes > 100_000)
        #expect(containers == 2_000)
    }

    @Test func brokenDocumentsNeverTrap() {
        var rng = SplitMix(state: 7)
        let specials: [UInt8] = Array("{}[],:\"\\ 0-eE.tnu".utf8) + [0x00, 0xFF, 0xC3]
        var rejected = 0
        for _ in 0..<3_000 {
            var bytes = Array(Self.randomDocument(&rng).utf8)
            if bytes.isEmpty { continue }
            if Bool.random(using: &rng) {
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = specials.randomElement(using: &rng)!
            }
            if (try? KubeJSON.decode(JSONValue.self, from: Data(bytes))) == nil { rejected += 1 }
            _ = try? KubeJSON.decode(Pod.self, from: Data(bytes))
        }
        #expect(rejected > 0)
    }
}
