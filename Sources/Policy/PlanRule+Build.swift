import NFTables
import NetAddr

/// Builders for the few rule shapes the compiler emits, each with its nft text.
extension PlanRule {
    static func make(_ parts: [(String, [Expression])]) -> PlanRule {
        PlanRule(text: parts.map(\.0).filter { !$0.isEmpty }.joined(separator: " "), expressions: parts.flatMap(\.1))
    }

    /// `ip saddr @set` / `ip daddr @set`.
    static func address(_ field: AddressField, in set: String) -> (String, [Expression]) {
        let payload: PayloadField = field == .source ? .ipSource : .ipDestination
        return ("\(payload) @\(set)", [.payload(payload), .lookup(set: set)])
    }

    /// `meta l4proto tcp th dport 80-81`.
    static func port(_ proto: L4Proto, _ lo: UInt16, _ hi: UInt16) -> (String, [Expression]) {
        var text = "meta l4proto \(proto.description.lowercased())"
        var e: [Expression] = [.meta(.l4proto), .cmp(.eq, data: [proto.rawValue])]
        if lo == hi {
            text += " th dport \(lo)"
            e += [.payload(.transportDestinationPort), .cmp(.eq, data: be(lo))]
        } else if (lo, hi) != (0, 65535) {
            text += " th dport \(lo)-\(hi)"
            e += [.payload(.transportDestinationPort), .cmp(.gte, data: be(lo)), .cmp(.lte, data: be(hi))]
        }
        return (text, e)
    }

    /// `ip daddr . meta l4proto . th dport @set`: per-peer named port resolutions.
    static func namedPorts(in set: String) -> (String, [Expression]) {
        ("ip daddr . meta l4proto . th dport @\(set)",
         [.payload(.ipDestination, register: 0), .meta(.l4proto, register: 1),
          .payload(.transportDestinationPort, register: 2), .lookup(set: set, register: 0)])
    }

    static func verdict(_ v: Verdict) -> (String, [Expression]) { ("\(v)", [.verdict(v)]) }

    static let ipv4: (String, [Expression]) = ("meta nfproto ipv4", Expression.nfproto(.v4))

    /// `ct state established,related accept` (non-strict mode).
    static let established = make([
        ("ct state established,related", [.ct(.state), .bitwise(mask: [6, 0, 0, 0], xor: [0, 0, 0, 0]),
                                          .cmp(.neq, data: [0, 0, 0, 0])]), verdict(.accept),
    ])
    /// `ct direction reply accept` (strict mode: only replies skip the policy).
    static let reply = make([("ct direction reply", [.ct(.direction), .cmp(.eq, data: [1])]), verdict(.accept)])
    /// Strict mode's fast path: the connection was allowed under the current policy
    /// generation (the upper 16 bits of its conntrack mark are in `@gen`).
    static let currentGeneration = make([
        ("ct mark & 0xffff0000 @gen", [.ct(.mark), .bitwise(mask: hostOrder(0xffff_0000), xor: hostOrder(0)),
                                       .lookup(set: "gen")]), verdict(.accept),
    ])

    /// Marks a new or established connection, in its original direction, with `generation`
    /// (it passed every policy chain to get here). Replies and related packets never mark.
    static func markGeneration(_ generation: UInt32) -> PlanRule {
        make([
            ("ct direction original", [.ct(.direction), .cmp(.eq, data: [0])]),
            ("ct state new,established", [.ct(.state), .bitwise(mask: hostOrder(10), xor: hostOrder(0)),
                                          .cmp(.neq, data: hostOrder(0))]),
            ("ct mark set ct mark & 0xffff | \(generation << 16)",
             [.ct(.mark), .bitwise(mask: hostOrder(0xffff), xor: hostOrder(generation << 16)), .ctSet(.mark)]),
        ])
    }

    /// `ct state related accept` (ICMP errors about an allowed flow).
    static let related = make([
        ("ct state related", [.ct(.state), .bitwise(mask: [4, 0, 0, 0], xor: [0, 0, 0, 0]),
                              .cmp(.neq, data: [0, 0, 0, 0])]), verdict(.accept),
    ])
}

func be(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

/// A 32-bit value in host byte order (conntrack state and mark are host order).
func hostOrder(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

/// FNV-1a 64: a chain's name from its content.
func contentHash(_ rules: [PlanRule]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for r in rules {
        for byte in r.text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h = (h ^ 10) &* 0x100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return "p" + String(repeating: "0", count: 16 - hex.count) + hex
}
