/// The byte layout of `FileStore`'s `state` file: two slots of `slotSize` bytes each
/// (`slotSize` a power of two, at least 64 KiB; the file is exactly `2 * slotSize` bytes, so
/// readers learn the slot size from the file size). A slot is a 24-byte header then the payload:
///
///     offset  size  field
///          0     8  magic "TRIPAM1\0"
///          8     8  generation, UInt64 little-endian (1 for the first state ever written)
///         16     4  payload length, UInt32 little-endian, at most slotSize - 24
///         20     4  CRC-32C (Castagnoli), UInt32 little-endian, over bytes 0..<20 and the payload
///         24     n  payload: `AllocationState.encoded()` (JSON)
///
/// Bytes after the payload are unspecified (zeros, or an older payload). The current state is
/// the valid slot (magic, length and checksum all good) with the higher generation.
public enum StateFileFormat {
    public static let magic: [UInt8] = Array("TRIPAM1\0".utf8)
    public static let headerSize = 24
    public static let initialSlotSize = 64 * 1024
    public static let maxSlotSize = 1 << 30

    /// A slot's parsed header. `checksum` is as stored, not yet verified.
    public struct Header: Equatable, Sendable {
        public var generation: UInt64
        public var length: Int
        public var checksum: UInt32
    }

    /// The header and payload of one slot, as one `pwrite`.
    public static func slotImage(generation: UInt64, payload: [UInt8]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerSize + payload.count)
        appendLittleEndian(&out, generation, bytes: 8)
        appendLittleEndian(&out, UInt64(payload.count), bytes: 4)
        let crc = CRC32C.checksum(out, payload)
        appendLittleEndian(&out, UInt64(crc), bytes: 4)
        return out + payload
    }

    /// The header at the start of `bytes` when its magic is right and its length fits a slot.
    public static func header(_ bytes: [UInt8], slotSize: Int) -> Header? {
        guard bytes.count >= headerSize, bytes[0..<8].elementsEqual(magic) else { return nil }
        let length = Int(littleEndian(bytes, at: 16, bytes: 4))
        guard length <= slotSize - headerSize else { return nil }
        return Header(generation: littleEndian(bytes, at: 8, bytes: 8), length: length,
                      checksum: UInt32(littleEndian(bytes, at: 20, bytes: 4)))
    }

    /// Whether `payload` is the one `header` (whose 24 bytes are `headerBytes`) was written with.
    public static func verify(headerBytes: [UInt8], _ header: Header, payload: [UInt8]) -> Bool {
        payload.count == header.length && CRC32C.checksum(Array(headerBytes[0..<20]), payload) == header.checksum
    }

    /// Whether `slotSize` (half the file) is one this format allows.
    public static func isValidSlotSize(_ slotSize: Int) -> Bool {
        slotSize >= initialSlotSize && slotSize <= maxSlotSize && slotSize & (slotSize - 1) == 0
    }

    /// The smallest allowed slot size, at least `minimum`, that holds `payloadCount` bytes.
    public static func slotSize(forPayload payloadCount: Int, atLeast minimum: Int = initialSlotSize) -> Int? {
        var size = max(minimum, initialSlotSize)
        while headerSize + payloadCount > size {
            if size >= maxSlotSize { return nil }
            size *= 2
        }
        return size
    }

    private static func appendLittleEndian(_ out: inout [UInt8], _ value: UInt64, bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<count).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
        return v
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8.
/// `checksum(Array("123456789".utf8))` is 0xE3069283.
public enum CRC32C {
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of the concatenation of `parts`.
    public static func checksum(_ parts: [UInt8]...) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            for part in parts {
                part.withUnsafeBufferPointer { p in
                    var i = 0
                    let n = p.count
                    while n - i >= 8 {
                        let one = (UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24) ^ crc
                        let two = UInt32(p[i + 4]) | UInt32(p[i + 5]) << 8 | UInt32(p[i + 6]) << 16 | UInt32(p[i + 7]) << 24
                        crc = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                            ^ t[5 * 256 + Int((one >> 16) & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                            ^ t[3 * 256 + Int(two & 0xFF)] ^ t[2 * 256 + Int((two >> 8) & 0xFF)]
                            ^ t[1 * 256 + Int((two >> 16) & 0xFF)] ^ t[Int(two >> 24)]
                        i += 8
                    }
                    while i < n {
                        crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p[i])) & 0xFF)]
                        i += 1
                    }
                }
            }
        }
        return ~crc
    }
}
