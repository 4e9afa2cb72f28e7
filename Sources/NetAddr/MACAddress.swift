/// A 48-bit Ethernet address, written `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    public var bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses colon- or dash-separated hex (`02:42:ac:11:00:02`).
    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
            out.append(b)
        }
        bytes = out
    }

    /// A locally administered unicast address derived from `seed` (stable for the same seed).
    public static func local(seed: some Sequence<UInt8>) -> MACAddress {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in seed { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var b = (0..<6).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) }
        b[0] = (b[0] & 0xfe) | 0x02
        return MACAddress(bytes: b)!
    }

    public var isMulticast: Bool { bytes[0] & 1 == 1 }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let m = MACAddress(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid MAC address \"\(s)\"")
        }
        self = m
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
