import DNSWire
import NetAddr

/// The protocol rules every query goes through before and around the zone (issue 8 §1),
/// shared by the UDP and TCP paths. Pure: bytes in, response bytes (in the writer) out.
public enum QueryHandler {
    /// What to do with one received message.
    public enum Verdict {
        /// `writer` holds the response; `rcode` and `type` are for metrics.
        case reply(rcode: DNSRCode, type: DNSType)
        /// Not ours: ask upstream.
        case forward(DNSQuery)
        /// Autopath ran out of cluster names: ask upstream for `base` and answer with
        /// `ZoneSnapshot.autopathResponse`.
        case autopathForward(original: DNSQuery, base: DNSName)
        /// Stay silent (no header to answer, or a response sent to us).
        case drop
    }

    /// Zone transfer types (RFC 5936, RFC 1995): refused, we serve no transfers.
    static let axfr = DNSType(252), ixfr = DNSType(251)

    /// Decides and, unless forwarding or dropping, writes the response.
    /// `canForward` false turns "not ours" into REFUSED.
    @inline(__always)
    public static func handle(_ packet: Span<UInt8>, zone: ZoneSnapshot, writer w: inout DNSResponseWriter,
                              framing: DNSResponseWriter.Framing, canForward: Bool,
                              source: IPAddress? = nil) -> Verdict {
        let query: DNSQuery
        do {
            query = try DNSQuery(parsing: packet)
        } catch {
            return w.writeFormatError(forRaw: packet, framing: framing) ? .reply(rcode: .formErr, type: DNSType(0)) : .drop
        }
        return handle(query, zone: zone, writer: &w, framing: framing, canForward: canForward, source: source)
    }

    public static func handle(_ query: DNSQuery, zone: ZoneSnapshot, writer w: inout DNSResponseWriter,
                              framing: DNSResponseWriter.Framing, canForward: Bool,
                              source: IPAddress? = nil) -> Verdict {
        let type = query.question.type
        if query.header.isResponse { return .drop }
        if query.header.opcode != .query { return error(query, .notImp, &w, framing) }
        if query.needsBadVers { return error(query, .badVers, &w, framing) }
        if type == axfr || type == ixfr { return error(query, .refused, &w, framing) }
        if query.question.class != .in && query.question.class != .any { return error(query, .refused, &w, framing) }
        if type == .opt { return error(query, .formErr, &w, framing) }
        if let rcode = zone.answer(query, into: &w, framing: framing) {
            if rcode == .nxDomain, let source, zone.options.autopath {
                switch zone.autopath(query, source: source, into: &w, framing: framing) {
                case .answered: return .reply(rcode: .noError, type: type)
                case .forward(let base) where canForward: return .autopathForward(original: query, base: base)
                case .forward, .none: break  // w still holds the NXDOMAIN
                }
            }
            return .reply(rcode: rcode, type: type)
        }
        if canForward { return .forward(query) }
        return error(query, .refused, &w, framing)
    }

    static func error(_ q: DNSQuery, _ rcode: DNSRCode, _ w: inout DNSResponseWriter,
                      _ framing: DNSResponseWriter.Framing) -> Verdict {
        w.writeErrorResponse(to: q, rcode: rcode, framing: framing)
        return .reply(rcode: rcode, type: q.question.type)
    }
}
