import NetAddr

/// Big-endian writer for BGP bodies.
struct BGPWriter {
    var buffer: [UInt8] = []
    mutating func u8(_ v: UInt8) { buffer.append(v) }
    mutating func u16(_ v: UInt16) { buffer += [UInt8(v >> 8), UInt8(v & 0xff)] }
    mutating func u32(_ v: UInt32) { buffer += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    mutating func bytes(_ b: [UInt8]) { buffer += b }

    /// NLRI prefix encoding (RFC 4271 §4.3): length in bits, then only the octets it covers.
    mutating func prefix(_ p: IPPrefix) {
        u8(UInt8(p.length))
        bytes(Array(p.network.address.bytes.prefix((p.length + 7) / 8)))
    }
}

/// Big-endian reader; running out of bytes is a `BGPError` with `truncated`'s code.
struct BGPReader {
    let bytes: [UInt8]
    var offset = 0
    /// The error for reading past the end (set per section: OPEN, UPDATE attribute, …).
    var truncated = BGPError(.messageHeader, 2, "message truncated")

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(BGPError) -> UInt8 {
        guard offset < bytes.count else { throw truncated }
        defer { offset += 1 }
        return bytes[offset]
    }
    mutating func u16() throws(BGPError) -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
    mutating func u32() throws(BGPError) -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }
    mutating func take(_ n: Int) throws(BGPError) -> [UInt8] {
        guard n >= 0, n <= remaining else { throw truncated }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// One NLRI prefix of `family`.
    mutating func prefix(_ family: IPFamily) throws(BGPError) -> IPPrefix {
        let length = Int(try u8())
        guard length <= family.bitWidth else { throw truncated }
        var octets = try take((length + 7) / 8)
        octets += [UInt8](repeating: 0, count: family.bitWidth / 8 - octets.count)
        guard let address = IPAddress(bytes: octets) else { throw truncated }
        return IPPrefix(address: address, length: length).network
    }

    /// Prefixes until the end of the reader.
    mutating func prefixes(_ family: IPFamily) throws(BGPError) -> [IPPrefix] {
        var out: [IPPrefix] = []
        while !isAtEnd { out.append(try prefix(family)) }
        return out
    }
}
