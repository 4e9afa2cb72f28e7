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

/// A header opcode (RFC 1035 §4.1.1, RFC 1996, RFC 2136).
public struct DNSOpcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let query = DNSOpcode(rawValue: 0)
    public static let notify = DNSOpcode(rawValue: 4)
    public static let update = DNSOpcode(rawValue: 5)
}

/// A 12-bit response code: 4 bits in the header, 8 more in OPT (RFC 6891 §6.1.3).
public struct DNSRCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xFFF }
    public static let noError = DNSRCode(rawValue: 0)
    public static let formErr = DNSRCode(rawValue: 1)
    public static let servFail = DNSRCode(rawValue: 2)
    public static let nxDomain = DNSRCode(rawValue: 3)
    public static let notImp = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)
    /// BADVERS: unsupported EDNS version; needs OPT to be expressed (RFC 6891 §6.1.3).
    public static let badVers = DNSRCode(rawValue: 16)
}

/// An RR type code.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let hinfo = DNSType(13)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let opt = DNSType(41)
    public static let axfr = DNSType(252)
    public static let any = DNSType(255)
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .hinfo: "HINFO"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .any: "ANY"
        default: "TYPE\(rawValue)"  // RFC 3597 §5
        }
    }
}

/// An RR class code.
public struct DNSClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let `in` = DNSClass(rawValue: 1)
    public static let ch = DNSClass(rawValue: 3)
    public static let any = DNSClass(rawValue: 255)
}

/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var `class`: DNSClass
    public init(name: DNSName, type: DNSType, class: DNSClass = .in) {
        self.name = name
        self.type = type
        self.class = `class`
    }
}
