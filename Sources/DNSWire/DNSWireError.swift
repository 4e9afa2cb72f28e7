/// Why a DNS message could not be decoded or encoded.
///
/// Every decoding failure is one of these, never a trap. The server answers `.formErr`
/// when it has a usable header (see `DNSResponseWriter.writeFormatError(forRaw:)`) and
/// stays silent otherwise.
public struct DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Hashable, Sendable {
        /// The message ends before a field it announces (header, name, RR, count).
        case truncated
        /// A label is longer than 63 octets (RFC 1035 §2.3.4). A length octet of 64–191
        /// (label types 0b01 / 0b10: obsolete bit labels, RFC 6891 §5) is reported so too.
        case labelTooLong
        /// A name is longer than 255 octets in wire form (RFC 1035 §2.3.4).
        case nameTooLong
        /// A compression pointer points forward, at itself, or past the message.
        case badPointer
        /// More compression pointers than a valid name can need.
        case pointerLoop
        /// RDATA length disagrees with the type's layout or runs past the message.
        case badRData
        /// The fast query path needs exactly one question (RFC 9619).
        case questionCount
        /// More than one OPT, or OPT with a non-root owner (RFC 6891 §6.1.1).
        case badOPT
        /// A text form name could not be parsed.
        case badName
    }

    /// What went wrong.
    public var code: Code
    /// Byte offset in the message (or character offset in a text name) where it went wrong.
    public var offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "DNS \(code.rawValue) at offset \(offset)" }
}
