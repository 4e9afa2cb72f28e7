import ClusterDNS
import DNSWire
import Foundation
import Testing
import TestSupport

/// Issue 8 §1 rules against the real server: dig where it can send the query, raw
/// sockets where it cannot.
@Suite struct ProtocolTests {
    var port: UInt16 { specServer.port }

    @Test func malformedQueryWithAHeaderGetsFORMERR() throws {
        // QDCOUNT 1 but the question's label runs past the end.
        let packet: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61, 0x62]
        let r = try #require(Raw.udp(packet, port: port))
        let m = try DNSMessage(parsing: r)
        #expect(m.header.id == 0xABCD && m.rcode == .formErr && m.header.isResponse)
    }

    @Test func shortPacketsAndResponsesGetSilence() throws {
        #expect(Raw.udp([0x12, 0x34, 0x01], port: port, timeoutMilliseconds: 300) == nil)
        var response = Raw.query("web.default.svc.cluster.local.", .a)
        response[2] |= 0x80  // QR: a response must never be answered
        #expect(Raw.udp(response, port: port, timeoutMilliseconds: 300) == nil)
        // The server is still there.
        let ok = try #require(Raw.udp(Raw.query("web.default.svc.cluster.local.", .a), port: port))
        #expect(try DNSMessage(parsing: ok).answers.count == 1)
    }

    @Test func unknownOpcodeGetsNOTIMP() throws {
        let r = try #require(Raw.udp(Raw.query("web.default.svc.cluster.local.", .a, opcode: DNSOpcode(rawValue: 2)), port: port))
        #expect(try DNSMessage(parsing: r).rcode == .notImp)
    }

    @Test func ednsVersion1GetsBADVERSWithDig() throws {
        let o = try Dig.query("web.default.svc.cluster.local.", "A", port: port, tcp: false, extra: ["+edns=1", "+noednsnegotiation"])
        #expect(o.rcode == "BADVERS", "\(o)")
    }

    @Test func ednsAnswerCapsPayloadAndDropsUnknownOptions() throws {
        let q = Raw.query("web.default.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096),
                          options: [EDNSOption(code: 65001, data: [1, 2, 3])])
        let m = try DNSMessage(parsing: try #require(Raw.udp(q, port: port)))
        #expect(m.edns?.udpPayloadSize == 1232 && m.edns?.version == 0)
        #expect(m.ednsOptions.isEmpty)
        #expect(m.answers.count == 1)
    }

    @Test func truncatedOverUDPIsCompleteOverTCP() throws {
        let name = "big.default.svc.cluster.local."
        let udp = try Dig.query(name, "A", port: port, tcp: false, extra: ["+ignore", "+noedns"])
        #expect(udp.tc && udp.answer.isEmpty, "\(udp)")
        let udpEDNS = try Dig.query(name, "A", port: port, tcp: false, extra: ["+ignore", "+bufsize=4096"])
        #expect(udpEDNS.tc, "1600 bytes of answer exceed our 1232-byte cap: \(udpEDNS)")
        let tcp = try Dig.query(name, "A", port: port, tcp: true)
        #expect(!tcp.tc && tcp.answer.count == 100 && tcp.rcode == "NOERROR")
        // Without +ignore, dig itself retries over TCP and gets everything.
        let retried = try Dig.query(name, "A", port: port, tcp: false)
        #expect(retried.answer.count == 100)
    }

    @Test func anyGetsTheMinimalRFC8482Answer() throws {
        let o = try Dig.query("web.default.svc.cluster.local.", "ANY", port: port, tcp: false)
        #expect(o.answer == ["HINFO \"RFC8482\" \"\""] && o.aa)
        let nx = try Dig.query("gone.default.svc.cluster.local.", "ANY", port: port, tcp: false)
        #expect(nx.rcode == "NXDOMAIN")
    }

    @Test func zoneTransfersAreRefused() throws {
        for type: UInt16 in [252, 251] {
            let q = Raw.query("cluster.local.", DNSType(type))
            let m = try DNSMessage(parsing: try #require(Raw.udp(q, port: port)))
            #expect(m.rcode == .refused)
            let fd = Raw.connectTCP(port: port)
            defer { close(fd) }
            let (hi, lo) = DNSTCPFraming.lengthPrefix(q.count)
            _ = ([hi, lo] + q).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            let frames = Raw.readFrames(fd, count: 1)
            #expect(try frames.first.map { try DNSMessage(parsing: $0).rcode } == .refused)
        }
        let dig = try shell(["dig", "@127.0.0.1", "-p", String(port), "cluster.local.", "AXFR", "+tries=1", "+time=5"], check: false)
        #expect(dig.stdout.contains("Transfer failed") || dig.stdout.contains("REFUSED"), "\(dig.stdout)")
    }

    @Test func questionCaseIsEchoed() throws {
        let name: DNSName = "WeB.DeFaUlT.sVc.ClUsTeR.lOcAl."
        let m = try DNSMessage(parsing: try #require(Raw.udp(Raw.query(name, .a), port: port)))
        #expect(m.questions.first?.name == name)  // byte-exact
        #expect(m.answers.first?.name == name)
        let nx = try DNSMessage(parsing: try #require(Raw.udp(Raw.query("NoPe.CLUSTER.local.", .a), port: port)))
        #expect(nx.questions.first?.name == "NoPe.CLUSTER.local." && nx.authority.first?.name.description == "CLUSTER.local.")
    }

    @Test func tcpQueriesMayBePipelined() throws {
        let fd = Raw.connectTCP(port: port)
        defer { close(fd) }
        var bytes: [UInt8] = []
        let names: [DNSName] = ["web.default.svc.cluster.local.", "big.default.svc.cluster.local.", "nope.cluster.local."]
        for (i, n) in names.enumerated() {
            let q = Raw.query(n, .a, id: UInt16(100 + i))
            let (hi, lo) = DNSTCPFraming.lengthPrefix(q.count)
            bytes += [hi, lo] + q
        }
        // One write, three queries; and a fourth split across two writes.
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let q4 = Raw.query("api.ns1.svc.cluster.local.", .a, id: 103)
        let f4 = [UInt8(0), UInt8(q4.count)] + q4
        _ = f4[0..<5].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(20_000)
        _ = f4[5...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let frames = Raw.readFrames(fd, count: 4).map { try? DNSMessage(parsing: $0) }
        #expect(frames.map { $0?.header.id } == [100, 101, 102, 103])
        #expect(frames.map { $0?.answers.count } == [1, 100, 0, 1])
    }

    @Test func idleTCPConnectionsAreClosed() throws {
        let server = try TestServer(zone: SpecFixture.zone(), idleMilliseconds: 200)
        let fd = Raw.connectTCP(port: server.port)  // 5 s receive timeout: a hang guard only
        defer { close(fd) }
        var b = [UInt8](repeating: 0, count: 16)
        let n = b.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(n == 0, "the server closes an idle connection (got \(n), errno \(errno))")
    }

    @Test func nonINClassIsRefused() throws {
        var q = Raw.query("web.default.svc.cluster.local.", .a)
        q[q.count - 1] = 3  // class CH
        let m = try DNSMessage(parsing: try #require(Raw.udp(q, port: port)))
        #expect(m.rcode == .refused)
    }

    @Test func outsideTheZoneWithoutForwarderIsRefused() throws {
        let o = try Dig.query("example.com.", "A", port: port, tcp: false)
        #expect(o.rcode == "REFUSED")
    }
}
