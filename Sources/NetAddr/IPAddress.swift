#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address held as a host-order 32-bit value.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text. Equivalent to `inet_pton(AF_INET, …)`.
    public init?(_ text: some StringProtocol) {
        var parts: [UInt32] = []
        for piece in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !piece.isEmpty, piece.count <= 3, piece.allSatisfy(\.isASCII),
                  let n = UInt32(piece), n <= 255 else { return nil }
            // inet_pton rejects leading zeros ("01") as ambiguous octal.
            if piece.count > 1 && piece.first == "0" { return nil }
            parts.append(n)
        }
        guard parts.count == 4 else { return nil }
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    /// Network-order bytes.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (l: Self, r: Self) -> Bool { l.value < r.value }
}

/// An IPv6 address held as a host-order 128-bit value.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt128

    public init(_ value: UInt128) { self.value = value }

    /// Parses RFC 4291 text. Equivalent to `inet_pton(AF_INET6, …)`.
    public init?(_ text: some StringProtocol) {
        var raw = in6_addr()
        let ok = String(text).withCString { inet_pton(AF_INET6, $0, &raw) }
        guard ok == 1 else { return nil }
        let b = withUnsafeBytes(of: raw) { Array($0) }
        self.init(bytes: b)!
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt128($1) }
    }

    /// Network-order bytes.
    public var bytes: [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(8 * (15 - $0))) }
    }

    /// RFC 5952 text. Equivalent to `inet_ntop(AF_INET6, …)`.
    public var description: String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &raw, &buf, socklen_t(buf.count))
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var isLinkLocal: Bool { value >> 118 == 0x3fa }  // fe80::/10

    public static func < (l: Self, r: Self) -> Bool { l.value < r.value }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: String) {
        if let a = IPv4Address(text) { self = .v4(a) }
        else if text.contains(":"), let a = IPv6Address(text) { self = .v6(a) }
        else { return nil }
    }

    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: bytes)!)
        case 16: self = .v6(IPv6Address(bytes: bytes)!)
        default: return nil
        }
    }

    public var family: IPFamily { if case .v4 = self { .v4 } else { .v6 } }
    public var isIPv4: Bool { family == .v4 }
    public var bytes: [UInt8] {
        switch self { case .v4(let a): a.bytes; case .v6(let a): a.bytes }
    }
    /// The address as an unsigned integer (IPv4 in the low 32 bits).
    public var integer: UInt128 {
        switch self { case .v4(let a): UInt128(a.value); case .v6(let a): a.value }
    }
    public init(family: IPFamily, integer: UInt128) {
        switch family {
        case .v4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: integer)))
        case .v6: self = .v6(IPv6Address(integer))
        }
    }
    public var bitWidth: Int { family.bitWidth }

    /// The address `n` steps further, wrapping within the family's space.
    public func advanced(by n: Int) -> IPAddress {
        let mask: UInt128 = family == .v4 ? 0xffff_ffff : .max
        let v = n >= 0 ? integer &+ UInt128(n) : integer &- UInt128(-n)
        return IPAddress(family: family, integer: v & mask)
    }

    public var description: String {
        switch self { case .v4(let a): a.description; case .v6(let a): a.description }
    }

    public static func < (l: Self, r: Self) -> Bool {
        switch (l, r) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let a = IPAddress(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid IP address \"\(s)\"")
        }
        self = a
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Address family, with the kernel's numbers.
public enum IPFamily: Int, Hashable, Sendable, CustomStringConvertible, Codable {
    case v4 = 2   // AF_INET
    case v6 = 10  // AF_INET6
    public var bitWidth: Int { self == .v4 ? 32 : 128 }
    public var description: String { self == .v4 ? "ipv4" : "ipv6" }
}
