import NetAddr

/// An UPDATE message (RFC 4271 §4.3): IPv4 withdrawals and NLRI in the classic fields,
/// other families in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
public struct BGPUpdate: Equatable, Sendable {
    public var withdrawn: [IPPrefix]
    public var attributes: [BGPAttribute]
    public var nlri: [IPPrefix]

    public init(withdrawn: [IPPrefix] = [], attributes: [BGPAttribute] = [], nlri: [IPPrefix] = []) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.nlri = nlri
    }

    /// Routes this update announces, each with its next hop, over every family.
    public var announced: [(prefix: IPPrefix, nextHop: IPAddress)] {
        var out: [(IPPrefix, IPAddress)] = []
        for a in attributes {
            if case .nextHop(let nh) = a { out += nlri.map { ($0, IPAddress.v4(nh)) } }
            if case .mpReach(_, let hops, let prefixes) = a, let nh = hops.first { out += prefixes.map { ($0, nh) } }
        }
        return out
    }

    /// Prefixes this update withdraws, over every family.
    public var allWithdrawn: [IPPrefix] {
        var out = withdrawn
        for case .mpUnreach(_, let prefixes) in attributes { out += prefixes }
        return out
    }

    /// An announcement of `prefixes` (all of one family) with the attributes an originating
    /// speaker sends: ORIGIN IGP, AS_PATH, next hop (NEXT_HOP or MP_REACH), LOCAL_PREF on iBGP.
    public static func announce(_ prefixes: [IPPrefix], nextHop: IPAddress, asPath: [UInt32], localPref: UInt32?) -> BGPUpdate {
        var attributes: [BGPAttribute] = [.origin(0), .asPath(asPath.isEmpty ? [] : [.sequence(asPath)])]
        if case .v4(let nh) = nextHop {
            attributes.append(.nextHop(nh))
            if let localPref { attributes.append(.localPref(localPref)) }
            return BGPUpdate(attributes: attributes, nlri: prefixes)
        }
        if let localPref { attributes.append(.localPref(localPref)) }
        attributes.insert(.mpReach(.ipv6Unicast, nextHops: [nextHop], nlri: prefixes), at: 0)
        return BGPUpdate(attributes: attributes)
    }

    /// A withdrawal of `prefixes` (all of one family).
    public static func withdraw(_ prefixes: [IPPrefix]) -> BGPUpdate {
        guard let first = prefixes.first, first.family == .v6 else { return BGPUpdate(withdrawn: prefixes) }
        return BGPUpdate(attributes: [.mpUnreach(.ipv6Unicast, withdrawn: prefixes)])
    }

    /// The End-of-RIB marker of a family (RFC 4724 §2).
    public static func endOfRIB(_ family: BGPFamily) -> BGPUpdate {
        family == .ipv4Unicast ? BGPUpdate() : BGPUpdate(attributes: [.mpUnreach(family, withdrawn: [])])
    }

    func encode(_ w: inout BGPWriter, fourOctetAS: Bool) {
        var withdrawnBytes = BGPWriter()
        for p in withdrawn { withdrawnBytes.prefix(p) }
        w.u16(UInt16(withdrawnBytes.buffer.count))
        w.bytes(withdrawnBytes.buffer)
        var attrs = BGPWriter()
        for a in attributes { a.encode(&attrs, fourOctetAS: fourOctetAS) }
        w.u16(UInt16(attrs.buffer.count))
        w.bytes(attrs.buffer)
        for p in nlri { w.prefix(p) }
    }

    init(_ r: inout BGPReader, fourOctetAS: Bool) throws(BGPError) {
        r.truncated = BGPError(.updateMessage, 1, "malformed attribute list")
        var w = BGPReader(try r.take(Int(try r.u16())))
        w.truncated = BGPError(.updateMessage, 1, "malformed withdrawn routes")
        withdrawn = try w.prefixes(.v4)
        var a = BGPReader(try r.take(Int(try r.u16())))
        a.truncated = r.truncated
        attributes = []
        while !a.isAtEnd { attributes.append(try BGPAttribute(&a, fourOctetAS: fourOctetAS)) }
        r.truncated = BGPError(.updateMessage, 10, "invalid network field")
        nlri = try r.prefixes(.v4)
    }
}

/// An AS_PATH segment.
public enum ASPathSegment: Equatable, Sendable {
    case set([UInt32])
    case sequence([UInt32])
}

/// A path attribute (RFC 4271 §5, RFC 4760).
public enum BGPAttribute: Equatable, Sendable {
    /// ORIGIN: 0 IGP, 1 EGP, 2 INCOMPLETE.
    case origin(UInt8)
    case asPath([ASPathSegment])
    case nextHop(IPv4Address)
    case med(UInt32)
    case localPref(UInt32)
    case mpReach(BGPFamily, nextHops: [IPAddress], nlri: [IPPrefix])
    case mpUnreach(BGPFamily, withdrawn: [IPPrefix])
    case other(flags: UInt8, code: UInt8, value: [UInt8])

    static let optional: UInt8 = 0x80, transitive: UInt8 = 0x40, extendedLength: UInt8 = 0x10

    func encode(_ w: inout BGPWriter, fourOctetAS: Bool) {
        var v = BGPWriter()
        let flags: UInt8, code: UInt8
        switch self {
        case .origin(let o): (flags, code) = (Self.transitive, 1); v.u8(o)
        case .asPath(let segments):
            (flags, code) = (Self.transitive, 2)
            for s in segments {
                let (type, asns): (UInt8, [UInt32]) = switch s { case .set(let a): (1, a); case .sequence(let a): (2, a) }
                v.u8(type); v.u8(UInt8(asns.count))
                for asn in asns { if fourOctetAS { v.u32(asn) } else { v.u16(UInt16(asn > 0xffff ? BGPOpen.asTrans : asn)) } }
            }
        case .nextHop(let nh): (flags, code) = (Self.transitive, 3); v.u32(nh.value)
        case .med(let m): (flags, code) = (Self.optional, 4); v.u32(m)
        case .localPref(let l): (flags, code) = (Self.transitive, 5); v.u32(l)
        case .mpReach(let f, let hops, let nlri):
            (flags, code) = (Self.optional, 14)
            v.u16(f.afi); v.u8(f.safi)
            let hopBytes = hops.flatMap(\.bytes)
            v.u8(UInt8(hopBytes.count)); v.bytes(hopBytes)
            v.u8(0)  // reserved
            for p in nlri { v.prefix(p) }
        case .mpUnreach(let f, let withdrawn):
            (flags, code) = (Self.optional, 15)
            v.u16(f.afi); v.u8(f.safi)
            for p in withdrawn { v.prefix(p) }
        case .other(let f, let c, let value): (flags, code) = (f & ~Self.extendedLength, c); v.bytes(value)
        }
        let extended = v.buffer.count > 255
        w.u8(flags | (extended ? Self.extendedLength : 0))
        w.u8(code)
        if extended { w.u16(UInt16(v.buffer.count)) } else { w.u8(UInt8(v.buffer.count)) }
        w.bytes(v.buffer)
    }

    init(_ r: inout BGPReader, fourOctetAS: Bool) throws(BGPError) {
        let flags = try r.u8(), code = try r.u8()
        let length = flags & Self.extendedLength != 0 ? Int(try r.u16()) : Int(try r.u8())
        var v = BGPReader(try r.take(length))
        v.truncated = BGPError(.updateMessage, 5, "attribute \(code) length error")
        switch code {
        case 1:
            guard length == 1 else { throw v.truncated }
            self = .origin(try v.u8())
        case 2:
            var segments: [ASPathSegment] = []
            while !v.isAtEnd {
                let type = try v.u8(), count = Int(try v.u8())
                var asns: [UInt32] = []
                for _ in 0..<count { asns.append(fourOctetAS ? try v.u32() : UInt32(try v.u16())) }
                segments.append(type == 1 ? .set(asns) : .sequence(asns))
            }
            self = .asPath(segments)
        case 3:
            guard length == 4 else { throw v.truncated }
            self = .nextHop(IPv4Address(try v.u32()))
        case 4: self = .med(try v.u32())
        case 5: self = .localPref(try v.u32())
        case 14:
            let family = BGPFamily(afi: try v.u16(), safi: try v.u8())
            let hops = try v.take(Int(try v.u8()))
            _ = try v.u8()
            guard let ipFamily = family.ipFamily else { self = .other(flags: flags, code: code, value: v.bytes); return }
            let width = ipFamily.bitWidth / 8
            // IPv6 may carry a global and a link-local next hop (32 octets).
            let nextHops = stride(from: 0, to: hops.count - width + 1, by: width).compactMap { IPAddress(bytes: hops[$0..<$0 + width]) }
            v.truncated = BGPError(.updateMessage, 9, "optional attribute error (MP_REACH_NLRI)")
            self = .mpReach(family, nextHops: nextHops, nlri: try v.prefixes(ipFamily))
        case 15:
            let family = BGPFamily(afi: try v.u16(), safi: try v.u8())
            guard let ipFamily = family.ipFamily else { self = .other(flags: flags, code: code, value: v.bytes); return }
            self = .mpUnreach(family, withdrawn: try v.prefixes(ipFamily))
        default:
            self = .other(flags: flags, code: code, value: v.rest())
        }
    }
}
