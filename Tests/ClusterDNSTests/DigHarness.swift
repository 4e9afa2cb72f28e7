import ClusterDNS
import DNSWire
import Foundation
import NetAddr
import TestSupport

/// What a response said, in the terms of the spec table.
struct Observed: Equatable, CustomStringConvertible {
    var rcode: String
    var aa: Bool
    var tc: Bool = false
    var answer: [String]
    var authorityTypes: [String]
    var description: String { "\(rcode) aa=\(aa) tc=\(tc) answer=\(answer) authority=\(authorityTypes)" }

    /// Checks against a row; returns a complaint or nil.
    func mismatch(_ c: SpecCase) -> String? {
        if rcode != c.rcode { return "rcode \(rcode), want \(c.rcode)" }
        if !aa { return "AA not set" }
        let want = c.answer.sorted(), got = answer.sorted()
        let ok = want.count == got.count && zip(want, got).allSatisfy { w, g in w.hasPrefix("SOA ") ? g.hasPrefix(w) : w == g }
        if !ok { return "answer \(got), want \(want)" }
        if c.soa != (authorityTypes == ["SOA"]) { return "authority \(authorityTypes), want SOA: \(c.soa)" }
        return nil
    }
}

enum Render {
    static func rcode(_ r: DNSRCode) -> String {
        switch r {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        case .badVers: "BADVERS"
        default: "RCODE\(r.rawValue)"
        }
    }

    static func quoted(_ b: [UInt8]) -> String { "\"" + String(decoding: b, as: UTF8.self) + "\"" }

    /// "TYPE rdata" as dig prints it (SOA: the two names only).
    static func record(_ r: DNSRecord) -> String {
        switch r.data {
        case .a(let v): "A \(IPv4Address(v))"
        case .aaaa(let hi, let lo): "AAAA \(IPv6Address(UInt128(hi) << 64 | UInt128(lo)))"
        case .cname(let n): "CNAME \(n.description.lowercased())"
        case .ptr(let n): "PTR \(n.description.lowercased())"
        case .ns(let n): "NS \(n)"
        case .soa(let s): "SOA \(s.mname) \(s.rname)"
        case .srv(let p, let w, let port, let t): "SRV \(p) \(w) \(port) \(t)"
        case .txt(let ss): "TXT " + ss.map(quoted).joined(separator: " ")
        case .hinfo(let c, let o): "HINFO \(quoted(c)) \(quoted(o))"
        case .unknown(let t, _): "\(t)"
        }
    }

    static func observed(_ m: DNSMessage) -> Observed {
        Observed(rcode: rcode(m.rcode), aa: m.header.authoritative, tc: m.header.truncated,
                 answer: m.answers.map(record), authorityTypes: m.authority.map { "\($0.type)" })
    }
}

/// Runs the real `dig` against a server on loopback.
enum Dig {
    static func query(_ name: String, _ type: String, port: UInt16, tcp: Bool, extra: [String] = []) throws -> Observed {
        let args = ["dig", "@127.0.0.1", "-p", String(port), name, type, "+noall", "+comments", "+answer", "+authority",
                    "+tries=1", "+time=5", tcp ? "+tcp" : "+notcp"] + extra
        let out = try shell(args, check: false).stdout
        return parse(out)
    }

    static func parse(_ text: String) -> Observed {
        var o = Observed(rcode: "?", aa: false, answer: [], authorityTypes: [])
        var section = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.contains("->>HEADER<<-"), let r = line.range(of: "status: ") {
                o.rcode = String(line[r.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags:") {
                let flags = line.dropFirst(9).prefix { $0 != ";" }.split(separator: " ")
                o.aa = flags.contains("aa")
                o.tc = flags.contains("tc")
            } else if line.hasPrefix(";; ANSWER SECTION") {
                section = "answer"
            } else if line.hasPrefix(";; AUTHORITY SECTION") {
                section = "authority"
            } else if line.hasPrefix(";") || line.isEmpty {
                if line.isEmpty { section = "" }
            } else {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard f.count >= 4 else { continue }
                let type = f[3]
                var rdata = Array(f.dropFirst(4))
                if type == "SOA" { rdata = Array(rdata.prefix(2)) }
                if type == "CNAME" || type == "PTR" { rdata = rdata.map { $0.lowercased() } }
                let text = ([type] + rdata).joined(separator: " ")
                if section == "answer" { o.answer.append(text) } else if section == "authority" { o.authorityTypes.append(type) }
            }
        }
        return o
    }
}

/// A server on a free loopback port for the duration of a test.
final class TestServer: Sendable {
    let server: DNSServer
    let zone: ClusterZone
    var port: UInt16 { server.port }

    init(zone: ClusterZone, forwarder: Forwarder? = nil, metrics: DNSMetrics? = nil, idleMilliseconds: Int = 10_000) throws {
        self.zone = zone
        server = DNSServer(config: .init(address: IPAddress("127.0.0.1")!, port: 0, udpThreads: 2,
                                         tcpIdleTimeoutMilliseconds: idleMilliseconds),
                           zone: zone, forwarder: forwarder, metrics: metrics)
        try server.start()
    }

    deinit { server.stop() }
}

/// Raw UDP and TCP exchanges, for what dig cannot send.
enum Raw {
    static func udp(_ packet: [UInt8], port: UInt16, timeoutMilliseconds: Int = 2000) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let sent = packet.withUnsafeBytes { p in
            withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, p.baseAddress, p.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            } }
        }
        guard sent == packet.count else { return nil }
        var buf = [UInt8](repeating: 0, count: 65535)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buf[0..<n]) : nil
    }

    /// Opens a TCP connection to the server.
    static func connectTCP(port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        } }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Reads framed messages until `count` are complete or the peer closes.
    static func readFrames(_ fd: Int32, count: Int) -> [[UInt8]] {
        var got: [UInt8] = [], out: [[UInt8]] = []
        var buf = [UInt8](repeating: 0, count: 65535)
        var offset = 0
        while out.count < count {
            while let (r, next) = DNSTCPFraming.nextMessage(in: got, from: offset) { out.append(Array(got[r])); offset = next }
            if out.count >= count { break }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            got += buf[0..<n]
        }
        return out
    }

    static func query(_ name: DNSName, _ type: DNSType, id: UInt16 = 0x1234, edns: EDNS? = nil,
                      options: [EDNSOption] = [], opcode: DNSOpcode = .query) -> [UInt8] {
        var h = DNSHeader(id: id)
        h.recursionDesired = true
        h.opcode = opcode
        let m = DNSMessage(header: h, questions: [DNSQuestion(name: name, type: type)], edns: edns, ednsOptions: options)
        var w = DNSResponseWriter(capacity: 4096)
        _ = w.write(m)
        return Array(w.message)
    }
}
