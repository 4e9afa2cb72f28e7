#if canImport(Glibc)
import Glibc
#endif
import CLinux
import DNSWire
import NetAddr
import Synchronization

/// The DNS server: one SO_REUSEPORT UDP socket and thread per core, each in a tight
/// recvmmsg → answer → sendmmsg loop with no allocation and no lock per cluster-zone
/// query; and a TCP listener (RFC 7766: pipelined queries, idle timeout) with a thread
/// per connection. Queries outside the zone go to the `Forwarder`, if any.
public final class DNSServer: Sendable {
    public struct Config: Sendable {
        public var address: IPAddress
        /// 0 picks a free port (tests); see `DNSServer.port`.
        public var port: UInt16
        public var udpThreads: Int
        /// Close a TCP connection idle this long (RFC 7766 §6.2.3).
        public var tcpIdleTimeoutMilliseconds: Int
        public var maxTCPConnections: Int

        public init(address: IPAddress, port: UInt16 = 53, udpThreads: Int = 0,
                    tcpIdleTimeoutMilliseconds: Int = 10_000, maxTCPConnections: Int = 256) {
            self.address = address
            self.port = port
            self.udpThreads = udpThreads
            self.tcpIdleTimeoutMilliseconds = tcpIdleTimeoutMilliseconds
            self.maxTCPConnections = maxTCPConnections
        }
    }

    public let config: Config
    let zone: ClusterZone
    let forwarder: Forwarder?
    let metrics: DNSMetrics?
    let stopping = Atomic<Bool>(false)
    let running = Atomic<Int>(0)
    let tcpConnections = Atomic<Int>(0)
    let sockets = Mutex<[Int32]>([])
    let boundPort = Atomic<UInt16>(0)
    let lameDuck = Atomic<Bool>(false)

    public init(config: Config, zone: ClusterZone, forwarder: Forwarder? = nil, metrics: DNSMetrics? = nil) {
        self.config = config
        self.zone = zone
        self.forwarder = forwarder
        self.metrics = metrics
    }

    /// The port the server listens on (after `start`).
    public var port: UInt16 { boundPort.load(ordering: .relaxed) }

    /// Binds every socket and starts the threads. Throws if a socket cannot be bound.
    public func start() throws {
        var port = config.port
        let threads = config.udpThreads > 0 ? config.udpThreads : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var fds: [Int32] = []
        do {
            // TCP first: with port 0 it picks the port the UDP sockets then share.
            let tcp = try Socket.bound(config.address, port: port, type: Int32(SOCK_STREAM.rawValue), reusePort: false)
            fds.append(tcp)
            port = Socket.localPort(tcp)
            try Socket.check(listen(tcp, 128), "listen")
            for _ in 0..<threads {
                let fd = try Socket.bound(config.address, port: port, type: Int32(SOCK_DGRAM.rawValue), reusePort: true)
                var size: Int32 = 4 << 20
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                Socket.setReceiveTimeout(fd, milliseconds: 250)
                fds.append(fd)
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        boundPort.store(port, ordering: .relaxed)
        sockets.withLock { $0 = fds }
        running.add(fds.count, ordering: .relaxed)
        let tcp = fds[0]
        Socket.thread { [self] in acceptLoop(tcp) }
        for fd in fds.dropFirst() { Socket.thread { [self] in udpLoop(fd) } }
    }

    /// True from the start of `shutdown` on: report not ready, keep answering.
    public var isLameDuck: Bool { lameDuck.load(ordering: .relaxed) }

    /// Graceful shutdown: a lame-duck period (still answering while `/ready` says no, so
    /// load balancers and kube-proxy move clients away), then `stop`. Blocks.
    public func shutdown(lameDuckMilliseconds: Int) {
        lameDuck.store(true, ordering: .relaxed)
        if lameDuckMilliseconds > 0 { usleep(UInt32(lameDuckMilliseconds) * 1000) }
        stop()
    }

    /// Stops the listeners: threads finish the batch in hand and exit; open TCP
    /// connections end after their current query. Waits up to 2 s for the threads.
    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        for _ in 0..<200 where running.load(ordering: .relaxed) > 0 { usleep(10_000) }
        sockets.withLock { fds in for fd in fds { close(fd) }; fds = [] }
    }

    // MARK: UDP

    func udpLoop(_ fd: Int32) {
        defer { running.subtract(1, ordering: .relaxed) }
        let slots: Int32 = 32, outSize: Int32 = Int32(EDNS.maxUDPPayload)
        guard let batch = trellis_udp_batch_new(slots, 4096, outSize) else { return }
        defer { trellis_udp_batch_free(batch) }
        var reader = ClusterZone.Reader(zone)
        var writer = DNSResponseWriter(capacity: EDNS.maxUDPPayload)
        var local = DNSMetrics.LocalCounts()
        let canForward = forwarder != nil
        let clock = ContinuousClock()
        while !stopping.load(ordering: .relaxed) {
            let n = trellis_udp_batch_recv(fd, batch)
            guard n > 0 else { continue }  // timeout (to check `stopping`) or a transient error
            let start = clock.now
            let snap = reader.refresh()
            for i in 0..<n {
                var len: Int32 = 0, truncated: Int32 = 0
                let p = UnsafePointer(trellis_udp_batch_in(batch, i, &len, &truncated)!)
                let input = UnsafeBufferPointer(start: p, count: Int(len))
                let packet = Span(_unsafeElements: input)
                var source: IPAddress? = nil
                if snap.options.autopath {
                    var peerLength: UInt32 = 0
                    let peer = trellis_udp_batch_peer(batch, i, &peerLength)!
                    source = Socket.ip(ofRaw: peer, length: Int(peerLength))
                }
                switch QueryHandler.handle(packet, zone: snap, writer: &writer, framing: .udp, canForward: canForward,
                                           source: source) {
                case .reply(let rcode, let type):
                    let out = trellis_udp_batch_out(batch, i)!
                    let count = writer.message.withUnsafeBytes { m in
                        out.update(from: m.baseAddress!.assumingMemoryBound(to: UInt8.self), count: m.count)
                        return m.count
                    }
                    trellis_udp_batch_set_reply(batch, i, Int32(count))
                    local.add(type, rcode)
                case .forward(let query):
                    var peerLength: UInt32 = 0
                    let peer = trellis_udp_batch_peer(batch, i, &peerLength)!
                    let reply = UDPReply(fd: fd, peer: Array(UnsafeRawBufferPointer(start: peer, count: Int(peerLength))),
                                         limit: query.udpResponseLimit)
                    let bytes = Array(input)
                    let metrics = metrics
                    let received = start
                    forwarder?.forward(query, packet: bytes, udpLimit: query.udpResponseLimit) { response in
                        reply.send(response)
                        if let metrics, let r = response.rcode { metrics.count(type: query.question.type, rcode: r, tcp: false,
                                                                             seconds: (clock.now - received).seconds) }
                    }
                case .autopathForward(let original, let base):
                    var peerLength: UInt32 = 0
                    let peer = trellis_udp_batch_peer(batch, i, &peerLength)!
                    let reply = UDPReply(fd: fd, peer: Array(UnsafeRawBufferPointer(start: peer, count: Int(peerLength))),
                                         limit: original.udpResponseLimit)
                    let (q, bytes) = ZoneSnapshot.autopathQuery(original, base: base)
                    forwarder?.forward(q, packet: bytes, udpLimit: 65535) { response in
                        reply.send(ForwardResponse(bytes: snap.autopathResponse(
                            original: original, base: base, upstream: response.bytes, limit: original.udpResponseLimit,
                            framing: .udp)))
                    }
                case .drop:
                    break
                }
            }
            trellis_udp_batch_send(fd, batch, n)
            if let metrics { local.flush(into: metrics, batchSeconds: (clock.now - start).seconds) }
        }
    }

    /// Where a forwarded UDP answer goes: the worker's socket and the client's address.
    struct UDPReply: Sendable {
        let fd: Int32
        let peer: [UInt8]
        let limit: Int
        func send(_ r: ForwardResponse) {
            var bytes = r.bytes
            if bytes.count > limit { Forwarder.truncate(&bytes) }  // TC: the client retries over TCP
            bytes.withUnsafeBytes { Socket.send(fd, $0, to: peer) }
        }
    }

    // MARK: TCP

    func acceptLoop(_ fd: Int32) {
        defer { running.subtract(1, ordering: .relaxed) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopping.load(ordering: .relaxed) {
            guard poll(&pfd, 1, 250) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            guard tcpConnections.add(1, ordering: .relaxed).newValue <= config.maxTCPConnections else {
                tcpConnections.subtract(1, ordering: .relaxed)
                close(c)
                continue
            }
            Socket.setReceiveTimeout(c, milliseconds: config.tcpIdleTimeoutMilliseconds)
            Socket.thread { [self] in
                serveTCP(c)
                close(c)
                tcpConnections.subtract(1, ordering: .relaxed)
            }
        }
    }

    /// One connection: read, answer every complete frame in order (pipelining), until
    /// EOF, an idle timeout, an error or shutdown.
    func serveTCP(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65537 + 4096)
        var have = 0
        var writer = DNSResponseWriter(capacity: 65535)
        var reader = ClusterZone.Reader(zone)
        let clock = ContinuousClock()
        var ss = sockaddr_storage()
        var ssLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &ssLength) } }
        let peer = withUnsafeBytes(of: &ss) { Socket.ip(ofRaw: $0.baseAddress!, length: Int(ssLength)) }
        while !stopping.load(ordering: .relaxed) {
            if have == buffer.count { return }  // cannot happen: a frame is at most 65537 bytes
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            have += n
            var offset = 0
            while let (range, next) = DNSTCPFraming.nextMessage(in: buffer.span.extracting(0..<have), from: offset) {
                let start = clock.now
                let snap = reader.refresh()
                let packet = buffer.span.extracting(range)
                var response: [UInt8]? = nil
                var rcode: DNSRCode? = nil, qtype = DNSType(0)
                switch QueryHandler.handle(packet, zone: snap, writer: &writer, framing: .tcp, canForward: forwarder != nil,
                                           source: peer) {
                case .reply(let r, let t):
                    rcode = r; qtype = t
                case .forward(let query):
                    qtype = query.question.type
                    let r = forwarder!.resolve(query, packet: Array(buffer[range]), udpLimit: 65535)
                    rcode = r.rcode
                    let (hi, lo) = DNSTCPFraming.lengthPrefix(r.bytes.count)
                    response = [hi, lo] + r.bytes
                case .autopathForward(let original, let base):
                    qtype = original.question.type
                    let (q, bytes) = ZoneSnapshot.autopathQuery(original, base: base)
                    let r = forwarder!.resolve(q, packet: bytes, udpLimit: 65535)
                    let out = snap.autopathResponse(original: original, base: base, upstream: r.bytes, limit: 65535,
                                                    framing: .udp)
                    rcode = out.count >= 4 ? DNSRCode(rawValue: UInt16(out[3] & 0xF)) : nil
                    let (hi, lo) = DNSTCPFraming.lengthPrefix(out.count)
                    response = [hi, lo] + out
                case .drop:
                    break
                }
                let ok: Bool
                if let response {
                    ok = response.withUnsafeBytes { Socket.writeAll(fd, $0) }
                } else if rcode != nil {
                    ok = writer.framed.withUnsafeBytes { Socket.writeAll(fd, $0) }
                } else {
                    ok = true
                }
                if let rcode, let metrics { metrics.count(type: qtype, rcode: rcode, tcp: true, seconds: (clock.now - start).seconds) }
                guard ok else { return }
                offset = next
            }
            if offset > 0 {
                buffer.withUnsafeMutableBytes { b in
                    (b.baseAddress! + 0).copyMemory(from: b.baseAddress! + offset, byteCount: have - offset)
                }
                have -= offset
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) * 1e-18
    }
}
