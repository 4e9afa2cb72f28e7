/// An address with a prefix length, as written `10.1.2.3/24` or `fd00::5/64`.
///
/// The address keeps its host bits (an interface address); `network` masks them off.
public struct IPPrefix: Hashable, Sendable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    public var address: IPAddress
    public var length: Int

    public init(address: IPAddress, length: Int) {
        precondition(length >= 0 && length <= address.bitWidth, "prefix length out of range")
        self.address = address
        self.length = length
    }

    /// Parses `addr/len`. A bare address is not accepted: use `init(host:)`.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/"),
              let a = IPAddress(String(text[..<slash])) else { return nil }
        let lenText = text[text.index(after: slash)...]
        guard !lenText.isEmpty, lenText.count <= 3, lenText.allSatisfy(\.isASCII),
              let len = Int(lenText), len >= 0, len <= a.bitWidth else { return nil }
        self.init(address: a, length: len)
    }

    /// A host prefix: /32 or /128.
    public init(host: IPAddress) { self.init(address: host, length: host.bitWidth) }

    public var family: IPFamily { address.family }

    public var mask: UInt128 {
        let width = address.bitWidth
        let all: UInt128 = width == 32 ? 0xffff_ffff : .max
        if length == 0 { return 0 }
        return (all << UInt128(width - length)) & all
    }

    /// The netmask as an address (`255.255.255.0`).
    public var netmask: IPAddress { IPAddress(family: family, integer: mask) }

    /// The prefix with host bits cleared.
    public var network: IPPrefix {
        IPPrefix(address: IPAddress(family: family, integer: address.integer & mask), length: length)
    }

    /// The first address of the prefix (host bits zero).
    public var first: IPAddress { network.address }

    /// The last address of the prefix (host bits one; the IPv4 broadcast address).
    public var last: IPAddress {
        let all: UInt128 = address.bitWidth == 32 ? 0xffff_ffff : .max
        return IPAddress(family: family, integer: (address.integer & mask) | (~mask & all))
    }

    public func contains(_ a: IPAddress) -> Bool {
        a.family == family && (a.integer & mask) == (address.integer & mask)
    }

    public func contains(_ p: IPPrefix) -> Bool { p.length >= length && contains(p.address) }

    public func overlaps(_ p: IPPrefix) -> Bool { contains(p.address) || p.contains(address) }

    public var isHost: Bool { length == address.bitWidth }

    public var description: String { "\(address)/\(length)" }

    public static func < (l: Self, r: Self) -> Bool {
        (l.address, l.length) < (r.address, r.length)
    }
}

extension IPPrefix: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let p = IPPrefix(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid CIDR \"\(s)\"")
        }
        self = p
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
