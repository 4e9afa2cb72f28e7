/// A resource record. Records are built once (from the cluster's Services) and written
/// many times, so their arrays are not on the per-packet path.
public struct DNSRecord: Hashable, Sendable {
    public var name: DNSName
    public var `class`: DNSClass
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: DNSName, class: DNSClass = .in, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.class = `class`
        self.ttl = ttl
        self.data = data
    }

    /// The type, taken from the data.
    public var type: DNSType { data.type }
}

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

/// The EDNS(0) fields of an OPT record (RFC 6891 §6.1.3), options aside.
public struct EDNS: Hashable, Sendable {
    /// Largest UDP payload the sender can reassemble. Values below 512 mean 512.
    public var udpPayloadSize: UInt16
    /// Upper 8 bits of the 12-bit rcode.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// DO: DNSSEC OK (RFC 3225).
    public var dnssecOK: Bool
    /// The other 15 flag bits (zero when sent by us).
    public var z: UInt16

    public init(udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0,
                dnssecOK: Bool = false, z: UInt16 = 0) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.z = z
    }

    /// The UDP size we advertise and honour at most: the DNS flag day 2020 value, which
    /// avoids IP fragmentation on usual paths.
    public static let maxUDPPayload = 1232
}

/// One EDNS option (RFC 6891 §6.1.2). Only the full decoder keeps options.
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}
