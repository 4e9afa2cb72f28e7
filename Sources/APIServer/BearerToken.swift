/// An opaque bearer token. Equality compares every byte whatever the first difference
/// (constant time for equal lengths), and the hash is Swift's per-process randomly seeded
/// SipHash, so a dictionary lookup reveals nothing useful about stored tokens through timing.
public struct BearerToken: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ text: String) { bytes = Array(text.utf8) }

    /// A new token: 32 random bytes (from the system CSPRNG, `getrandom(2)` on Linux), hex.
    public static func random() -> BearerToken {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for _ in 0..<32 {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            text += [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
        }
        return BearerToken(String(decoding: text, as: UTF8.self))
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public static func == (a: BearerToken, b: BearerToken) -> Bool {
        guard a.bytes.count == b.bytes.count else { return false }
        var difference: UInt8 = 0
        for i in a.bytes.indices { difference |= a.bytes[i] ^ b.bytes[i] }
        return difference == 0
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    /// Never prints the secret.
    public var description: String { "BearerToken(\(bytes.count) bytes)" }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
    public init?(authorization: String?) {
        guard let header = authorization?.trimmingPrefixWhitespace(), header.count > 7,
              header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).drop(while: { $0 == " " })
        guard !token.isEmpty, !token.contains(" ") else { return nil }
        self.init(String(token))
    }
}

private extension String {
    func trimmingPrefixWhitespace() -> Substring { drop(while: { $0 == " " || $0 == "\t" }) }
}
