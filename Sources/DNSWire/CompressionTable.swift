/// Offsets (from message start) of names already written, for RFC 1035 §4.1.4
/// compression. Fixed size: when full, later names are written uncompressed. Matching is
/// exact (case-sensitive), so every name reads back with the case it was given.
struct CompressionTable: Sendable {
    static let capacity = 64
    var offsets = InlineArray<64, UInt16>(repeating: 0)
    var count = 0
    mutating func removeAll() { count = 0 }
    mutating func add(_ offset: Int) {
        guard count < CompressionTable.capacity, offset < 0x4000 else { return }
        offsets[count] = UInt16(offset)
        count += 1
    }
}
