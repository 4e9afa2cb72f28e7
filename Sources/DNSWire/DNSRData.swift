/// RDATA of the types the cluster DNS serves; anything else is kept opaque (RFC 3597).
public enum DNSRData: Hashable, Sendable {
    /// IPv4 address, network order packed in a `UInt32` (10.0.0.1 is 0x0A00_0001).
    case a(UInt32)
    /// IPv6 address as two big-endian halves.
    case aaaa(high: UInt64, low: UInt64)
    case cname(DNSName)
    case ptr(DNSName)
    case ns(DNSName)
    /// Boxed (`indirect`): two inline names would make every record ~800 bytes.
    indirect case soa(SOA)
    /// RFC 2782. The target is never compressed when written.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// One or more character-strings, each at most 255 bytes.
    case txt([[UInt8]])
    /// RFC 1035 §3.3.2; used for the RFC 8482 answer to ANY.
    case hinfo(cpu: [UInt8], os: [UInt8])
    /// Any other type, RDATA kept as bytes and never decompressed (RFC 3597 §4).
    case unknown(type: DNSType, data: [UInt8])

    /// The RR type of this data.
    public var type: DNSType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ptr: .ptr
        case .ns: .ns
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .hinfo: .hinfo
        case .unknown(let t, _): t
        }
    }

    /// SOA fields (RFC 1035 §3.3.13; `minimum` is the negative TTL, RFC 2308 §4).
    public struct SOA: Hashable, Sendable {
        public var mname: DNSName
        public var rname: DNSName
        public var serial: UInt32
        public var refresh: UInt32
        public var retry: UInt32
        public var expire: UInt32
        public var minimum: UInt32
        public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32,
                    retry: UInt32, expire: UInt32, minimum: UInt32) {
            self.mname = mname
            self.rname = rname
            self.serial = serial
            self.refresh = refresh
            self.retry = retry
            self.expire = expire
            self.minimum = minimum
        }
    }
}
