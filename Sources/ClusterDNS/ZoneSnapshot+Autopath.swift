import DNSWire
import NetAddr

extension ZoneSnapshot {
    /// What autopath made of a query that does not exist as asked.
    public enum Autopath {
        /// Answered from the zone (`CNAME` to the name found, then its records).
        case answered
        /// Try `name` upstream; on a positive answer, reply with a `CNAME` to it.
        case forward(DNSName)
        /// Not an autopath query: answer it as usual.
        case none
    }

    /// Server-side search-path expansion (CoreDNS's `autopath`): a pod in namespace NS with
    /// `ndots:5` first asks `base.NS.svc.<zone>`. When that does not exist, we walk the
    /// rest of its search path here — `base.svc.<zone>`, `base.<zone>`, then `base.`
    /// upstream — and answer the first hit with a `CNAME` from the asked name, saving the
    /// client one round trip per search domain. `source` is the client's address.
    public func autopath(_ query: DNSQuery, source: IPAddress, into w: inout DNSResponseWriter,
                         framing: DNSResponseWriter.Framing) -> Autopath {
        guard options.autopath, synced, let ns = podNamespaces[source] else { return .none }
        let name = query.question.name
        let zoneLabels = options.zone.labelCount
        let labels = name.labelCount
        guard labels >= zoneLabels + 3, name.isSubdomain(of: options.zone) else { return .none }
        // Label start offsets; base is labels [0, k-2), then NS, then "svc".
        let k = labels - zoneLabels
        var starts = InlineArray<128, UInt8>(repeating: 0)
        var o = 0
        for i in 0..<labels { starts[i] = UInt8(o); o += 1 + Int(name[wire: o]) }
        let nsAt = Int(starts[k - 2]), svcAt = Int(starts[k - 1]), zoneAt = o - options.zone.wireLength + 1
        guard ZoneSnapshot.label(name, at: svcAt, equals: "svc"), ZoneSnapshot.label(name, at: nsAt, equals: ns),
              table.find(name) == nil else { return .none }
        for suffix in [svcAt, zoneAt] {
            var key = InlineArray<255, UInt8>(repeating: 0)
            var n = 0
            for i in 0..<nsAt { key[n] = name[wire: i]; n += 1 }
            for i in suffix..<name.wireLength { key[n] = name[wire: i]; n += 1 }
            let candidate = key.span.extracting(0..<n)
            guard let entry = table.find(candidate),
                  let set = table.rrset(at: entry, type: query.question.type)
                    ?? (query.question.type == .cname ? nil : table.rrset(at: entry, type: .cname)) else { continue }
            w.beginResponse(to: query, rcode: .noError, authoritative: true, framing: framing)
            if let target = w.appendCNAME(target: candidate, ttl: options.ttl) {
                let arena = table.arena
                w.appendWire(arena.span.extracting(set.bytes), records: set.records, to: .answer, owner: target)
            }
            w.finish()
            return .answered
        }
        var key = InlineArray<255, UInt8>(repeating: 0)
        for i in 0..<nsAt { key[i] = name[wire: i] }
        key[nsAt] = 0
        guard let base = DNSName(wire: key.span.extracting(0..<(nsAt + 1))) else { return .none }
        return .forward(base)
    }

    static func label(_ name: borrowing DNSName, at o: Int, equals text: String) -> Bool {
        let n = Int(name[wire: o])
        guard n == text.utf8.count else { return false }
        var i = o + 1
        for c in text.utf8 {
            var b = name[wire: i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b != c { return false }
            i += 1
        }
        return true
    }

    /// The response to an autopath query whose upstream try came back: a `CNAME` to
    /// `base` plus the upstream's records when it answered, else our own NXDOMAIN for the
    /// name as asked.
    public func autopathResponse(original: DNSQuery, base: DNSName, upstream: [UInt8], limit: Int,
                                 framing: DNSResponseWriter.Framing) -> [UInt8] {
        var w = DNSResponseWriter(capacity: 65535)
        if let m = try? DNSMessage(parsing: upstream), m.rcode == .noError, !m.answers.isEmpty {
            var h = m.header
            h.id = original.header.id
            h.authoritative = false
            let cname = DNSRecord(name: original.question.name, ttl: options.ttl, data: .cname(base))
            var edns = m.edns
            edns?.udpPayloadSize = UInt16(EDNS.maxUDPPayload)
            let out = DNSMessage(header: h, questions: [original.question], answers: [cname] + m.answers,
                                 authority: m.authority, additional: m.additional, edns: original.edns == nil ? nil : edns)
            _ = w.write(out, limit: framing == .tcp ? 65535 : limit, framing: framing)
        } else {
            negative(original, .nxDomain, &w, framing)
        }
        return Array(w.framed)
    }

    /// The query to send upstream for `base`: the client's, with only the name changed.
    public static func autopathQuery(_ original: DNSQuery, base: DNSName) -> (DNSQuery, [UInt8]) {
        var q = original
        q.question.name = base
        let m = DNSMessage(header: original.header, questions: [q.question], edns: original.edns)
        var w = DNSResponseWriter(capacity: 4096)
        _ = w.write(m)
        return (q, Array(w.message))
    }
}
