import DNSWire
import NetAddr

/// Builds names and RRs in wire form for `NameTable`. Owners are always the pointer
/// `0xC00C` (the question name); names inside RDATA are written in full, lowercased.
enum RecordEncoder {
    /// Wire form of dotted `labels` (each lowercased), ending in the root label.
    /// Returns nil if a label is empty or too long, or the name is too long.
    static func name(_ labels: [String]) -> [UInt8]? {
        var out: [UInt8] = []
        for l in labels {
            for part in l.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(part.utf8)
                guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
                out.append(UInt8(bytes.count))
                for b in bytes { out.append((b >= 0x41 && b <= 0x5A) ? b | 0x20 : b) }
            }
        }
        out.append(0)
        return out.count <= 255 ? out : nil
    }

    /// `name` without its first label (the parent), or nil for the root.
    static func parent(_ name: [UInt8]) -> [UInt8]? {
        guard let first = name.first, first != 0 else { return nil }
        return Array(name[(1 + Int(first))...])
    }

    static func header(_ type: DNSType, ttl: UInt32, into out: inout [UInt8]) {
        out += [0xC0, 0x0C, UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        out += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
    }

    static func rr(_ type: DNSType, ttl: UInt32, rdata: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12 + rdata.count)
        header(type, ttl: ttl, into: &out)
        out += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)]
        out += rdata
        return out
    }

    /// A or AAAA for `ip`.
    static func address(_ ip: IPAddress, ttl: UInt32) -> (DNSType, [UInt8]) {
        (ip.isIPv4 ? .a : .aaaa, rr(ip.isIPv4 ? .a : .aaaa, ttl: ttl, rdata: ip.bytes))
    }

    static func srv(port: UInt16, target: [UInt8], ttl: UInt32, priority: UInt16 = 0, weight: UInt16 = 100) -> [UInt8] {
        var d: [UInt8] = [UInt8(priority >> 8), UInt8(priority & 0xFF), UInt8(weight >> 8), UInt8(weight & 0xFF),
                          UInt8(port >> 8), UInt8(port & 0xFF)]
        d += target
        return rr(.srv, ttl: ttl, rdata: d)
    }

    static func txt(_ s: String, ttl: UInt32) -> [UInt8] {
        let b = Array(s.utf8.prefix(255))
        return rr(.txt, ttl: ttl, rdata: [UInt8(b.count)] + b)
    }

    /// SOA without its owner (TYPE onward), for `appendWire(owner:rest:)`.
    static func soaRest(mname: [UInt8], rname: [UInt8], serial: UInt32, ttl: UInt32) -> [UInt8] {
        var full = rr(.soa, ttl: ttl, rdata: mname + rname + [serial, 7200, 1800, 86400, ttl].flatMap(be32))
        full.removeFirst(2)
        return full
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    /// The reverse-lookup name of `ip` (`d.c.b.a.in-addr.arpa.`, nibbles for IPv6).
    static func reverseName(_ ip: IPAddress) -> [UInt8] {
        var labels: [String] = []
        if ip.isIPv4 {
            labels = ip.bytes.reversed().map { String($0) } + ["in-addr", "arpa"]
        } else {
            let hex = Array("0123456789abcdef")
            for b in ip.bytes.reversed() {
                labels.append(String(hex[Int(b & 0xF)]))
                labels.append(String(hex[Int(b >> 4)]))
            }
            labels += ["ip6", "arpa"]
        }
        return name(labels)!
    }

    /// The label that stands for an address: `10-0-0-1`, or for IPv6 the compressed text
    /// with `:` as `-` (`fd00--1`), as the pod records and CoreDNS do.
    static func ipLabel(_ ip: IPAddress) -> String {
        String(ip.description.map { $0 == "." || $0 == ":" ? "-" : $0 })
    }

    /// Length of the RR at `o` in `rrs` (owner is always a 2-byte pointer here).
    static func rrLength(_ rrs: [UInt8], at o: Int) -> Int {
        let len = Int(rrs[o + 10]) << 8 | Int(rrs[o + 11])
        return 12 + len
    }
}
