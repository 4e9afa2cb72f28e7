/// The fixed 12-byte message header without its four counts (RFC 1035 §4.1.1).
/// Counts are derived from the sections when encoding and checked when decoding.
public struct DNSHeader: Hashable, Sendable {
    /// Message id, echoed in the response.
    public var id: UInt16
    /// The flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low 4 bits of rcode.
    public var flags: UInt16

    public init(id: UInt16 = 0, flags: UInt16 = 0) {
        self.id = id
        self.flags = flags
    }

    @inline(__always) func bit(_ n: Int) -> Bool { flags & (1 << n) != 0 }
    @inline(__always) mutating func set(_ n: Int, _ v: Bool) {
        if v { flags |= 1 << n } else { flags &= ~(1 << n) }
    }

    /// QR: this is a response.
    public var isResponse: Bool { get { bit(15) } set { set(15, newValue) } }
    /// The 4-bit opcode (0 QUERY, 4 NOTIFY, 5 UPDATE).
    public var opcode: DNSOpcode {
        get { DNSOpcode(rawValue: UInt8((flags >> 11) & 0xF)) }
        set { flags = (flags & ~0x7800) | (UInt16(newValue.rawValue & 0xF) << 11) }
    }
    /// AA: authoritative answer.
    public var authoritative: Bool { get { bit(10) } set { set(10, newValue) } }
    /// TC: truncated.
    public var truncated: Bool { get { bit(9) } set { set(9, newValue) } }
    /// RD: recursion desired.
    public var recursionDesired: Bool { get { bit(8) } set { set(8, newValue) } }
    /// RA: recursion available.
    public var recursionAvailable: Bool { get { bit(7) } set { set(7, newValue) } }
    /// AD: authentic data (RFC 4035).
    public var authenticData: Bool { get { bit(5) } set { set(5, newValue) } }
    /// CD: checking disabled (RFC 4035).
    public var checkingDisabled: Bool { get { bit(4) } set { set(4, newValue) } }
    /// The low 4 bits of the response code; the high 8 bits live in OPT.
    public var rcodeLow: UInt8 {
        get { UInt8(flags & 0xF) }
        set { flags = (flags & ~0xF) | UInt16(newValue & 0xF) }
    }
}
