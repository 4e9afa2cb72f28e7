/// A fuzz target body for libFuzzer and for the deterministic fuzz test.
///
/// libFuzzer entry (a separate executable target, not in Package.swift yet):
///
///     @_cdecl("LLVMFuzzerTestOneInput")
///     public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
///         let bytes = Array(UnsafeBufferPointer(start: data, count: size))
///         precondition(DNSWireFuzz.fuzzOne(bytes) != .mismatch)
///         return 0
///     }
///
/// built with `swiftc -sanitize=fuzzer,address -parse-as-library -I <DNSWire module dir>`
/// (see Tests/DNSWireFuzz/README.md).
public enum DNSWireFuzz {
    /// What one input did.
    public enum Outcome: Hashable, Sendable {
        /// Both decoders rejected it with this code.
        case rejected(DNSWireError.Code)
        /// Decoded, re-encoded, decoded again to the same value.
        case roundTripped
        /// Decoded, but re-encoding needs more than 65535 bytes (compression table full).
        case tooLarge
        /// A bug: the decoders disagree, or the round trip changed the message.
        case mismatch
    }

    /// Runs `bytes` through `DNSQuery`, `DNSMessage` and, when it decodes, an encode /
    /// decode round trip. Never traps on any input; `.mismatch` means a bug in DNSWire.
    public static func fuzzOne(_ bytes: [UInt8]) -> Outcome {
        var writer = DNSResponseWriter()
        return fuzzOne(bytes, writer: &writer)
    }

    /// `fuzzOne(_:)` reusing a writer (avoids a 64 KiB allocation per input).
    public static func fuzzOne(_ bytes: [UInt8], writer: inout DNSResponseWriter) -> Outcome {
        let query: DNSQuery?
        do { query = try DNSQuery(parsing: bytes) } catch { query = nil }
        let message: DNSMessage
        do {
            message = try DNSMessage(parsing: bytes)
        } catch {
            // The full decoder is at least as strict as the query decoder, except that
            // the query decoder only skips answer/authority RDATA.
            return .rejected(error.code)
        }
        if let query, message.questions.count == 1 {
            guard query.question == message.questions[0], query.edns == message.edns,
                  query.header == message.header else { return .mismatch }
        }
        // Errors for a decodable query must also encode.
        if let query {
            writer.writeErrorResponse(to: query, rcode: .servFail)
            guard (try? DNSMessage(parsing: Array(writer.message))) != nil else { return .mismatch }
        }
        guard writer.write(message) else { return .tooLarge }
        guard let again = try? DNSMessage(parsing: Array(writer.message)) else { return .mismatch }
        return again == message ? .roundTripped : .mismatch
    }
}
