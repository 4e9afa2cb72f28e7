/// DNS over TCP framing: each message is preceded by its length as two big-endian bytes
/// (RFC 1035 §4.2.2). Clients may pipeline several queries in one segment and a read may
/// end mid-message (RFC 7766 §6.2.1), so the server splits its receive buffer with this.
public enum DNSTCPFraming {
    /// The next complete message in `s` starting at `offset`: the message's byte range
    /// (prefix excluded) and where the following frame starts. Nil when the frame is not
    /// complete yet: keep `s[offset...]` and read more. A zero-length frame gives an
    /// empty range, which `DNSQuery` rejects as `.truncated`.
    public static func nextMessage(in s: Span<UInt8>, from offset: Int) -> (message: Range<Int>, next: Int)? {
        guard offset >= 0, offset + 2 <= s.count else { return nil }
        let n = Int(s[offset]) << 8 | Int(s[offset + 1])
        guard offset + 2 + n <= s.count else { return nil }
        return (offset + 2..<offset + 2 + n, offset + 2 + n)
    }

    /// `nextMessage(in:from:)` over an array.
    public static func nextMessage(in bytes: [UInt8], from offset: Int) -> (message: Range<Int>, next: Int)? {
        nextMessage(in: bytes.span, from: offset)
    }

    /// The two-byte prefix for a message of `length` bytes (at most 65535).
    public static func lengthPrefix(_ length: Int) -> (UInt8, UInt8) {
        let n = UInt16(clamping: length)
        return (UInt8(n >> 8), UInt8(n & 0xFF))
    }
}
