import DNSWire

extension ZoneSnapshot {
    /// True if this snapshot answers `name`: the cluster zone, or a reverse name of a
    /// Service or endpoint address (other reverse names go upstream).
    public func isAuthoritative(for name: DNSName) -> Bool {
        name.isSubdomain(of: options.zone) || (isReverse(name) && table.find(name) != nil)
    }

    func isReverse(_ name: DNSName) -> Bool {
        name.isSubdomain(of: ZoneSnapshot.inAddrArpa) || name.isSubdomain(of: ZoneSnapshot.ip6Arpa)
    }

    static let inAddrArpa: DNSName = "in-addr.arpa."
    static let ip6Arpa: DNSName = "ip6.arpa."

    /// Writes the complete response to `query` if it is ours (`isAuthoritative`) and
    /// returns its rcode; returns nil, writing nothing, if it is not. Never allocates.
    /// The caller has already handled opcode, EDNS version, class and zone transfers.
    public func answer(_ query: DNSQuery, into w: inout DNSResponseWriter,
                       framing: DNSResponseWriter.Framing = .udp) -> DNSRCode? {
        let name = query.question.name
        let inZone = name.isSubdomain(of: options.zone)
        let entry = table.find(name)
        if !inZone {
            guard isReverse(name), let entry else { return nil }
            guard synced else { return servFail(query, &w, framing) }
            w.beginResponse(to: query, rcode: .noError, authoritative: true, framing: framing)
            if query.question.type == .any {
                w.appendMinimalANY(for: query.question, ttl: options.ttl)
            } else if let set = table.rrset(at: entry, type: query.question.type) {
                appendSet(set, &w)
            }
            w.finish()
            return .noError
        }
        guard synced else { return servFail(query, &w, framing) }
        guard let entry else {
            if options.pods == .insecure, synthesizePod(query, &w, framing) { return .noError }
            negative(query, .nxDomain, &w, framing)
            return .nxDomain
        }
        let type = query.question.type
        if type == .any {
            w.beginResponse(to: query, rcode: .noError, authoritative: true, framing: framing)
            w.appendMinimalANY(for: query.question, ttl: options.ttl)
            w.finish()
            return .noError
        }
        let set = table.rrset(at: entry, type: type)
            ?? (type == .cname ? nil : table.rrset(at: entry, type: .cname))
        guard let set else {
            negative(query, .noError, &w, framing)
            return .noError
        }
        w.beginResponse(to: query, rcode: .noError, authoritative: true, framing: framing)
        appendSet(set, &w)
        w.finish()
        return .noError
    }

    @inline(__always)
    func appendSet(_ set: NameTable.RRset, _ w: inout DNSResponseWriter) {
        let arena = table.arena
        w.appendWire(arena.span.extracting(set.bytes), records: set.records, to: .answer)
    }

    @inline(__always)
    func appendSOA(owner: Int, _ w: inout DNSResponseWriter) {
        let soa = soaRest
        w.appendWire(owner: owner, rest: soa.span, to: .authority)
    }

    func servFail(_ q: DNSQuery, _ w: inout DNSResponseWriter, _ framing: DNSResponseWriter.Framing) -> DNSRCode {
        w.writeErrorResponse(to: q, rcode: .servFail, framing: framing)
        return .servFail
    }

    /// NXDOMAIN or NODATA: the zone's SOA in authority (RFC 2308 §2), its owner a pointer
    /// to the zone suffix of the question name.
    func negative(_ q: DNSQuery, _ rcode: DNSRCode, _ w: inout DNSResponseWriter, _ framing: DNSResponseWriter.Framing) {
        w.beginResponse(to: q, rcode: rcode, authoritative: true, framing: framing)
        let owner = DNSResponseWriter.questionNameOffset + q.question.name.wireLength - options.zone.wireLength
        appendSOA(owner: owner, &w)
        w.finish()
    }

    /// `a-b-c-d.<ns>.pod.<zone>` in `insecure` mode: the address is the label; the
    /// namespace must exist (its `<ns>.pod.<zone>` is in the table).
    func synthesizePod(_ q: DNSQuery, _ w: inout DNSResponseWriter, _ framing: DNSResponseWriter.Framing) -> Bool {
        let name = q.question.name
        guard name.labelCount == options.zone.labelCount + 3 else { return false }
        let first = Int(name[wire: 0])
        let third = 1 + first + 1 + Int(name[wire: 1 + first])
        guard name[wire: third] == 3, name[wire: third + 1] | 0x20 == UInt8(ascii: "p"),
              name[wire: third + 2] | 0x20 == UInt8(ascii: "o"), name[wire: third + 3] | 0x20 == UInt8(ascii: "d"),
              table.find(name, from: 1 + first) != nil else { return false }
        guard let v4 = ZoneSnapshot.parseDashedIPv4(name, length: first) else { return false }
        w.beginResponse(to: q, rcode: .noError, authoritative: true, framing: framing)
        if q.question.type == .a || q.question.type == .any {
            var rr = InlineArray<16, UInt8>(repeating: 0)
            let ttl = options.ttl
            let bytes: (UInt8, UInt8, UInt8, UInt8) = (UInt8(v4 >> 24), UInt8((v4 >> 16) & 0xFF), UInt8((v4 >> 8) & 0xFF), UInt8(v4 & 0xFF))
            rr[0] = 0xC0; rr[1] = 0x0C; rr[2] = 0; rr[3] = 1; rr[4] = 0; rr[5] = 1
            rr[6] = UInt8(ttl >> 24); rr[7] = UInt8((ttl >> 16) & 0xFF); rr[8] = UInt8((ttl >> 8) & 0xFF); rr[9] = UInt8(ttl & 0xFF)
            rr[10] = 0; rr[11] = 4; rr[12] = bytes.0; rr[13] = bytes.1; rr[14] = bytes.2; rr[15] = bytes.3
            w.appendWire(rr.span, records: 1, to: .answer)
            w.finish()
        } else {
            let owner = DNSResponseWriter.questionNameOffset + name.wireLength - options.zone.wireLength
            appendSOA(owner: owner, &w)
            w.finish()
        }
        return true
    }

    /// `10-0-0-1` (the first label of `name`, `length` bytes) as an IPv4 address.
    static func parseDashedIPv4(_ name: borrowing DNSName, length: Int) -> UInt32? {
        var parts = 0, value: UInt32 = 0, octet: UInt32 = 0, digits = 0
        for i in 1...length {
            let c = name[wire: i]
            if c == UInt8(ascii: "-") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | octet
                parts += 1; octet = 0; digits = 0
            } else if c >= 0x30 && c <= 0x39 {
                octet = octet * 10 + UInt32(c - 0x30)
                digits += 1
                guard octet <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard parts == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }
}

extension NameTable {
    /// `find` for the suffix of `name` starting at wire offset `from` (a label boundary).
    func find(_ name: borrowing DNSName, from: Int) -> Int? {
        let n = name.wireLength
        var key = InlineArray<255, UInt8>(repeating: 0)
        for i in from..<n { key[i - from] = name[wire: i] }
        return find(key.span.extracting(0..<(n - from)))
    }
}
