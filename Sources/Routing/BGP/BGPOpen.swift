import NetAddr

/// An OPEN message (RFC 4271 §4.2) with its capabilities (RFC 5492).
public struct BGPOpen: Equatable, Sendable {
    public var version: UInt8 = 4
    /// The speaker's AS; above 65535 the 2-octet field carries AS_TRANS (23456) and the real
    /// number travels in the 4-octet AS capability (RFC 6793).
    public var asn: UInt32
    public var holdTime: UInt16
    public var identifier: IPv4Address
    public var capabilities: [BGPCapability]

    public init(asn: UInt32, holdTime: UInt16, identifier: IPv4Address, capabilities: [BGPCapability]) {
        self.asn = asn
        self.holdTime = holdTime
        self.identifier = identifier
        self.capabilities = capabilities
    }

    public static let asTrans: UInt32 = 23456

    /// The AS the peer really has: the 4-octet capability's when present.
    public var effectiveASN: UInt32 {
        for case .fourOctetAS(let a) in capabilities { return a }
        return asn
    }
    public var families: [BGPFamily] { capabilities.compactMap { if case .multiprotocol(let f) = $0 { f } else { nil } } }
    public var supportsFourOctetAS: Bool { capabilities.contains { if case .fourOctetAS = $0 { true } else { false } } }

    func encode(_ w: inout BGPWriter) {
        w.u8(version)
        w.u16(UInt16(asn > 0xffff ? Self.asTrans : asn))
        w.u16(holdTime)
        w.u32(identifier.value)
        var params = BGPWriter()
        for c in capabilities {
            var cap = BGPWriter()
            c.encode(&cap)
            params.u8(2)  // optional parameter type 2: capabilities
            params.u8(UInt8(cap.buffer.count))
            params.bytes(cap.buffer)
        }
        w.u8(UInt8(params.buffer.count))
        w.bytes(params.buffer)
    }

    init(_ r: inout BGPReader) throws(BGPError) {
        r.truncated = BGPError(.messageHeader, 2, "OPEN truncated")
        version = try r.u8()
        guard version == 4 else { throw BGPError(.openMessage, 1, "unsupported version \(version)", data: [0, 4]) }
        asn = UInt32(try r.u16())
        holdTime = try r.u16()
        guard holdTime == 0 || holdTime >= 3 else { throw BGPError(.openMessage, 6, "unacceptable hold time \(holdTime)") }
        identifier = IPv4Address(try r.u32())
        guard identifier.value != 0 else { throw BGPError(.openMessage, 3, "bad BGP identifier 0.0.0.0") }
        let paramsLength = Int(try r.u8())
        guard paramsLength == r.remaining else { throw BGPError(.messageHeader, 2, "OPEN parameter length \(paramsLength) != \(r.remaining)") }
        capabilities = []
        while !r.isAtEnd {
            let type = try r.u8()
            var p = BGPReader(try r.take(Int(try r.u8())))
            p.truncated = BGPError(.openMessage, 0, "malformed optional parameter")
            guard type == 2 else { throw BGPError(.openMessage, 4, "unsupported optional parameter \(type)") }
            while !p.isAtEnd {
                let code = try p.u8()
                var c = BGPReader(try p.take(Int(try p.u8())))
                c.truncated = p.truncated
                capabilities.append(try BGPCapability(code: code, &c))
            }
        }
        // The real AS of a 4-octet speaker is in its capability (RFC 6793 §4.1).
        if asn == Self.asTrans, case .fourOctetAS(let real)? = capabilities.first(where: { if case .fourOctetAS = $0 { true } else { false } }) {
            asn = real
        }
    }
}

/// A capability advertised in OPEN.
public enum BGPCapability: Equatable, Sendable {
    /// Code 1 (RFC 4760).
    case multiprotocol(BGPFamily)
    /// Code 2 (RFC 2918).
    case routeRefresh
    /// Code 65 (RFC 6793).
    case fourOctetAS(UInt32)
    /// Code 64 (RFC 4724): restart flags+time and per-family flags, kept as bytes.
    case gracefulRestart([UInt8])
    case other(code: UInt8, value: [UInt8])

    func encode(_ w: inout BGPWriter) {
        switch self {
        case .multiprotocol(let f):
            w.u8(1); w.u8(4); w.u16(f.afi); w.u8(0); w.u8(f.safi)
        case .routeRefresh:
            w.u8(2); w.u8(0)
        case .fourOctetAS(let a):
            w.u8(65); w.u8(4); w.u32(a)
        case .gracefulRestart(let v):
            w.u8(64); w.u8(UInt8(v.count)); w.bytes(v)
        case .other(let code, let v):
            w.u8(code); w.u8(UInt8(v.count)); w.bytes(v)
        }
    }

    init(code: UInt8, _ r: inout BGPReader) throws(BGPError) {
        switch code {
        case 1 where r.remaining == 4:
            let afi = try r.u16()
            _ = try r.u8()
            self = .multiprotocol(BGPFamily(afi: afi, safi: try r.u8()))
        case 2 where r.remaining == 0: self = .routeRefresh
        case 65 where r.remaining == 4: self = .fourOctetAS(try r.u32())
        case 64: self = .gracefulRestart(r.rest())
        default: self = .other(code: code, value: r.rest())
        }
    }
}
