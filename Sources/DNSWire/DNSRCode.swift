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
