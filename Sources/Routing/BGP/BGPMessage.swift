import NetAddr

/// One BGP-4 message (RFC 4271 §4) with the extensions Trellis speaks: capabilities
/// (RFC 5492), MP-BGP (RFC 4760), 4-octet AS numbers (RFC 6793), route refresh (RFC 2918).
public enum BGPMessage: Equatable, Sendable {
    case open(BGPOpen)
    case update(BGPUpdate)
    case notification(BGPNotification)
    case keepalive
    /// ROUTE-REFRESH for one address family.
    case routeRefresh(BGPFamily)

    /// The message type octet.
    public var type: UInt8 {
        switch self {
        case .open: 1
        case .update: 2
        case .notification: 3
        case .keepalive: 4
        case .routeRefresh: 5
        }
    }

    /// Header (16-octet all-ones marker, length, type) + body. `fourOctetAS` is whether the
    /// session negotiated 4-octet AS numbers (AS_PATH encoding).
    public func encoded(fourOctetAS: Bool = true) -> [UInt8] {
        var body = BGPWriter()
        switch self {
        case .open(let o): o.encode(&body)
        case .update(let u): u.encode(&body, fourOctetAS: fourOctetAS)
        case .notification(let n):
            body.u8(n.code)
            body.u8(n.subcode)
            body.bytes(n.data)
        case .keepalive: break
        case .routeRefresh(let f):
            body.u16(f.afi)
            body.u8(0)
            body.u8(f.safi)
        }
        var out = [UInt8](repeating: 0xff, count: 16)
        let length = 19 + body.buffer.count
        out += [UInt8(length >> 8), UInt8(length & 0xff), type]
        return out + body.buffer
    }

    /// The length of the first message in `bytes` when the header is complete, else nil.
    /// Throws for a bad marker or length (NOTIFICATION 1/1, 1/2).
    public static func frameLength(_ bytes: some RandomAccessCollection<UInt8>) throws(BGPError) -> Int? {
        guard bytes.count >= 19 else { return nil }
        let start = bytes.startIndex
        for i in 0..<16 where bytes[bytes.index(start, offsetBy: i)] != 0xff {
            throw BGPError(.messageHeader, 1, "connection not synchronised (bad marker)")
        }
        let length = Int(bytes[bytes.index(start, offsetBy: 16)]) << 8 | Int(bytes[bytes.index(start, offsetBy: 17)])
        guard (19...4096).contains(length) else {
            throw BGPError(.messageHeader, 2, "bad message length \(length)", data: [UInt8(length >> 8), UInt8(length & 0xff)])
        }
        return length
    }

    /// Decodes one whole message (header included).
    public static func decode(_ frame: [UInt8], fourOctetAS: Bool = true) throws(BGPError) -> BGPMessage {
        guard let length = try frameLength(frame), length == frame.count else {
            throw BGPError(.messageHeader, 2, "bad message length \(frame.count)")
        }
        var r = BGPReader(Array(frame[19...]))
        let type = frame[18]
        let lengthOK: Bool
        switch type {
        case 1: lengthOK = length >= 29
        case 2: lengthOK = length >= 23
        case 3: lengthOK = length >= 21
        case 4: lengthOK = length == 19
        case 5: lengthOK = length == 23
        default: throw BGPError(.messageHeader, 3, "bad message type \(type)", data: [type])
        }
        guard lengthOK else {
            throw BGPError(.messageHeader, 2, "bad length \(length) for type \(type)", data: [UInt8(length >> 8), UInt8(length & 0xff)])
        }
        switch type {
        case 1: return .open(try BGPOpen(&r))
        case 2: return .update(try BGPUpdate(&r, fourOctetAS: fourOctetAS))
        case 3:
            let code = try r.u8(), subcode = try r.u8()
            return .notification(BGPNotification(code: code, subcode: subcode, data: r.rest()))
        case 4: return .keepalive
        default:
            let afi = try r.u16()
            _ = try r.u8()
            return .routeRefresh(BGPFamily(afi: afi, safi: try r.u8()))
        }
    }
}

/// An address family (AFI, SAFI). Trellis uses IPv4 and IPv6 unicast.
public struct BGPFamily: Hashable, Sendable, CustomStringConvertible {
    public var afi: UInt16
    public var safi: UInt8
    public init(afi: UInt16, safi: UInt8) {
        self.afi = afi
        self.safi = safi
    }
    public static let ipv4Unicast = BGPFamily(afi: 1, safi: 1)
    public static let ipv6Unicast = BGPFamily(afi: 2, safi: 1)
    public var ipFamily: IPFamily? { safi != 1 ? nil : afi == 1 ? .v4 : afi == 2 ? .v6 : nil }
    public var description: String { ipFamily.map { "\($0) unicast" } ?? "afi \(afi) safi \(safi)" }
}

/// A NOTIFICATION (RFC 4271 §4.5): the error that ends a session.
public struct BGPNotification: Equatable, Sendable, CustomStringConvertible {
    public var code: UInt8
    public var subcode: UInt8
    public var data: [UInt8]
    public init(code: UInt8, subcode: UInt8, data: [UInt8] = []) {
        self.code = code
        self.subcode = subcode
        self.data = data
    }
    public static let cease = BGPNotification(code: 6, subcode: 0)
    public static let holdTimerExpired = BGPNotification(code: 4, subcode: 0)
    public var description: String { "NOTIFICATION \(code)/\(subcode)" + (data.isEmpty ? "" : " data \(data)") }
}

/// A protocol error: the NOTIFICATION to send and a description.
public struct BGPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: UInt8, Sendable {
        case messageHeader = 1, openMessage = 2, updateMessage = 3, holdTimerExpired = 4, fsm = 5, cease = 6
    }
    public var notification: BGPNotification
    public var reason: String
    public init(_ code: Code, _ subcode: UInt8, _ reason: String, data: [UInt8] = []) {
        notification = BGPNotification(code: code.rawValue, subcode: subcode, data: data)
        self.reason = reason
    }
    public var description: String { "\(reason) (\(notification))" }
}
