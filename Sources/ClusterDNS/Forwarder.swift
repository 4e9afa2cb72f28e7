#if canImport(Glibc)
import Glibc
#endif
import DNSWire
import NetAddr
import Synchronization

/// A forwarded answer: the bytes to send the client (its id and question case restored).
public struct ForwardResponse: Sendable {
    public var bytes: [UInt8]
    public var rcode: DNSRCode? { bytes.count >= 4 ? DNSRCode(rawValue: UInt16(bytes[3] & 0xF)) : nil }
}

/// Forwards queries outside the cluster zone to upstream resolvers over UDP (retrying
/// over TCP when the answer is truncated), with several upstreams, health checks, a
/// bounded cache of their answers and loop detection.
public final class Forwarder: Sendable {
    public struct Upstream: Sendable, Hashable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16
        public init(address: IPAddress, port: UInt16 = 53) { self.address = address; self.port = port }
        /// `1.2.3.4`, `1.2.3.4:5353`, `[fd00::1]:53` or `fd00::1`.
        public init?(_ text: String) {
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                guard let ip = IPAddress(String(text[text.index(after: text.startIndex)..<close])) else { return nil }
                let rest = text[text.index(after: close)...]
                let port = rest.hasPrefix(":") ? UInt16(rest.dropFirst()) : (rest.isEmpty ? 53 : nil)
                guard let port else { return nil }
                self.init(address: ip, port: port)
            } else if let ip = IPAddress(text) {
                self.init(address: ip)
            } else {
                let parts = text.split(separator: ":")
                guard parts.count == 2, let ip = IPAddress(String(parts[0])), let port = UInt16(parts[1]) else { return nil }
                self.init(address: ip, port: port)
            }
        }
        public var description: String { address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
    }

    public struct Options: Sendable {
        public var upstreams: [Upstream]
        public var timeoutMilliseconds: Int = 2000
        /// Tries per query, each on the next healthy upstream.
        public var attempts: Int = 2
        public var cache = ResponseCache.Limits()
        public var healthCheckMilliseconds: Int = 1000
        public init(upstreams: [Upstream]) { self.upstreams = upstreams }
    }

    /// The nameservers of a resolv.conf (`nameserver` lines).
    public static func upstreams(resolvConf text: String) -> [Upstream] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, f[0] == "nameserver" else { return nil }
            let addr = f[1].split(separator: "%").first.map(String.init) ?? ""
            return IPAddress(addr).map { Upstream(address: $0) }
        }
    }

    struct Pending: Sendable {
        var query: DNSQuery
        var packet: [UInt8]
        var upstream: Int
        var tries: Int
        var deadline: ContinuousClock.Instant
        var completion: @Sendable (ForwardResponse) -> Void
    }

    struct UpstreamState: Sendable {
        var healthy = true
        var failures = 0
    }

    public let options: Options
    public let cache: ResponseCache
    let metrics: DNSMetrics?
    let pending = Mutex<[UInt16: Pending]>([:])
    let health: Mutex<[UpstreamState]>
    let next = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let socket4: Int32
    let socket6: Int32
    /// The name of our loop probe; a query for it reaching us means a forwarding loop.
    let probeName: DNSName
    let loop = Atomic<Bool>(false)

    public init(options: Options, metrics: DNSMetrics? = nil) throws {
        self.options = options
        self.metrics = metrics
        cache = ResponseCache(limits: options.cache)
        health = Mutex([UpstreamState](repeating: UpstreamState(), count: options.upstreams.count))
        socket4 = try Socket.bound(.v4(IPv4Address(0)), port: 0, type: Int32(SOCK_DGRAM.rawValue), reusePort: false)
        socket6 = (try? Socket.bound(IPAddress("::")!, port: 0, type: Int32(SOCK_DGRAM.rawValue), reusePort: false)) ?? -1
        probeName = (try? DNSName("\(UInt32.random(in: 0...UInt32.max)).\(UInt32.random(in: 0...UInt32.max)).trellis-loop-probe."))
            ?? "trellis-loop-probe."
        for u in options.upstreams { metrics?.upstreamHealthy.labels(u.description).set(1) }
    }

    /// True once a loop was detected: forwarding then answers SERVFAIL.
    public var loopDetected: Bool { loop.load(ordering: .relaxed) }

    /// Starts the receive/timeout thread and the health checker, and sends the loop probe.
    public func start() {
        Socket.thread { [self] in receiveLoop() }
        Socket.thread { [self] in healthLoop() }
        // Straight to an upstream (not through `forward`, which watches for this name).
        if !options.upstreams.isEmpty, let q = Forwarder.probeQuery(probeName), let query = try? DNSQuery(parsing: q) {
            send(Pending(query: query, packet: q, upstream: pickUpstream(after: nil), tries: options.attempts,
                         deadline: .now + .milliseconds(options.timeoutMilliseconds), completion: { _ in }))
        }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    static func probeQuery(_ name: DNSName, type: DNSType = .hinfo) -> [UInt8]? {
        var w = DNSResponseWriter(capacity: 512)
        var h = DNSHeader(id: UInt16.random(in: 0...UInt16.max))
        h.recursionDesired = true
        w.begin(header: h, limit: 512, edns: nil)
        guard w.appendQuestion(DNSQuestion(name: name, type: type)) else { return nil }
        w.finish()
        return Array(w.message)
    }

    /// Answers `query` (whose raw bytes are `packet`) from the cache or upstream and
    /// calls `completion` once, possibly on another thread.
    public func forward(_ query: DNSQuery, packet: [UInt8], udpLimit: Int,
                        completion: @escaping @Sendable (ForwardResponse) -> Void) {
        if query.question.name.matches(probeName) {
            loop.store(true, ordering: .relaxed)
            metrics?.loopDetected.set(1)
        }
        if loopDetected || options.upstreams.isEmpty {
            completion(Forwarder.errorResponse(query, .servFail))
            return
        }
        if var cached = cache.lookup(query) {
            metrics?.cacheHits.inc()
            Forwarder.restore(&cached, from: packet)
            if cached.count > udpLimit { Forwarder.truncate(&cached) }
            completion(ForwardResponse(bytes: cached))
            return
        }
        metrics?.cacheMisses.inc()
        let upstream = pickUpstream(after: nil)
        send(Pending(query: query, packet: packet, upstream: upstream, tries: 1,
                     deadline: .now + .milliseconds(options.timeoutMilliseconds), completion: completion))
    }

    /// `forward`, waiting for the answer (for TCP connections, which have a thread each).
    public func resolve(_ query: DNSQuery, packet: [UInt8], udpLimit: Int) -> ForwardResponse {
        let box = Mutex<ForwardResponse?>(nil)
        let done = OneShot()
        forward(query, packet: packet, udpLimit: udpLimit) { r in
            box.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    func pickUpstream(after previous: Int?) -> Int {
        let n = options.upstreams.count
        let states = health.withLock { $0 }
        let start = previous.map { $0 + 1 } ?? next.add(1, ordering: .relaxed).oldValue
        for k in 0..<n where states[(start + k) % n].healthy { return (start + k) % n }
        return start % n
    }

    func send(_ p: Pending) {
        var p = p
        var id: UInt16 = 0
        pending.withLock { table in
            repeat { id = UInt16.random(in: 0...UInt16.max) } while table[id] != nil
            table[id] = p
        }
        p.packet[0] = UInt8(id >> 8)
        p.packet[1] = UInt8(id & 0xFF)
        let u = options.upstreams[p.upstream]
        let fd = u.address.isIPv4 ? socket4 : socket6
        metrics?.forwarded.inc()
        let peer = Socket.address(u.address, port: u.port)
        p.packet.withUnsafeBytes { Socket.send(fd, $0, to: peer) }
    }

    func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 65535)
        var fds = [pollfd(fd: socket4, events: Int16(POLLIN), revents: 0), pollfd(fd: socket6, events: Int16(POLLIN), revents: 0)]
        while !stopping.load(ordering: .relaxed) {
            let n = poll(&fds, nfds_t(socket6 >= 0 ? 2 : 1), 50)
            if n > 0 {
                for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents & Int16(POLLIN) != 0 {
                    var ss = sockaddr_storage()
                    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let got = buffer.withUnsafeMutableBytes { b in
                        withUnsafeMutablePointer(to: &ss) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fds[i].fd, b.baseAddress, b.count, 0, $0, &len) }
                        }
                    }
                    guard got >= 12 else { continue }
                    let from = withUnsafeBytes(of: &ss) { Socket.ip(ofRaw: $0.baseAddress!, length: Int(len)) }
                    received(Array(buffer[0..<got]), from: from)
                }
            }
            expire()
        }
    }

    func received(_ response: [UInt8], from: IPAddress?) {
        let id = UInt16(response[0]) << 8 | UInt16(response[1])
        guard let p = pending.withLock({ $0[id] }), options.upstreams[p.upstream].address == from,
              let answer = try? DNSQuery(parsing: response), answer.question.name.matches(p.query.question.name),
              answer.question.type == p.query.question.type else { return }
        guard pending.withLock({ $0.removeValue(forKey: id) }) != nil else { return }
        markHealthy(p.upstream)
        if answer.header.truncated {
            // RFC 7766 §5: the same query over TCP, on a thread of its own (rare).
            Socket.thread { [self] in
                let full = Forwarder.tcpExchange(options.upstreams[p.upstream], p.packet,
                                                 timeoutMilliseconds: options.timeoutMilliseconds)
                finish(p, full ?? response)
            }
            return
        }
        finish(p, response)
    }

    func finish(_ p: Pending, _ response: [UInt8]) {
        cache.store(response, for: p.query)
        metrics?.cacheEntries.set(Double(cache.count))
        var out = response
        Forwarder.restore(&out, from: p.packet)
        p.completion(ForwardResponse(bytes: out))
    }

    func expire() {
        let now = ContinuousClock.now
        let late = pending.withLock { table -> [Pending] in
            let ids = table.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { table.removeValue(forKey: $0) }
        }
        for var p in late {
            markFailed(p.upstream)
            if p.tries < options.attempts {
                p.tries += 1
                p.upstream = pickUpstream(after: p.upstream)
                p.deadline = now + .milliseconds(options.timeoutMilliseconds)
                send(p)
            } else {
                p.completion(Forwarder.errorResponse(p.query, .servFail))
            }
        }
    }

    func markHealthy(_ i: Int) {
        let changed = health.withLock { s -> Bool in
            defer { s[i].failures = 0; s[i].healthy = true }
            return !s[i].healthy
        }
        if changed { metrics?.upstreamHealthy.labels(options.upstreams[i].description).set(1) }
    }

    func markFailed(_ i: Int) {
        metrics?.upstreamFailures.labels(options.upstreams[i].description).inc()
        let changed = health.withLock { s -> Bool in
            s[i].failures += 1
            if s[i].failures >= 2 && s[i].healthy { s[i].healthy = false; return true }
            return false
        }
        if changed { metrics?.upstreamHealthy.labels(options.upstreams[i].description).set(0) }
    }

    /// Every interval, asks each unhealthy upstream for `. NS`; any answer heals it.
    func healthLoop() {
        while !stopping.load(ordering: .relaxed) {
            usleep(UInt32(options.healthCheckMilliseconds) * 1000)
            let states = health.withLock { $0 }
            for (i, s) in states.enumerated() where !s.healthy {
                guard let q = Forwarder.probeQuery(.root, type: .ns) else { continue }
                if Forwarder.udpExchange(options.upstreams[i], q, timeoutMilliseconds: 1000) != nil { markHealthy(i) }
            }
        }
    }

    // MARK: Wire helpers

    /// Puts the client's id and question (with its case) back into an upstream response.
    static func restore(_ r: inout [UInt8], from query: [UInt8]) {
        guard r.count >= 12, query.count >= 12 else { return }
        r[0] = query[0]; r[1] = query[1]
        var o = 12
        guard MessageScan.skipName(query, &o) else { return }
        if o <= r.count && o <= query.count {
            for i in 12..<o where r[i] | 0x20 == query[i] | 0x20 { r[i] = query[i] }
        }
    }

    /// Cuts a response to header + question with TC set (it did not fit the client's UDP size).
    static func truncate(_ r: inout [UInt8]) {
        var o = 12
        guard r.count >= 12, MessageScan.skipName(r, &o), o + 4 <= r.count else { return }
        r.removeSubrange((o + 4)...)
        r[2] |= 0x02
        for i in 6..<12 { r[i] = 0 }
    }

    static func errorResponse(_ q: DNSQuery, _ rcode: DNSRCode) -> ForwardResponse {
        var w = DNSResponseWriter(capacity: 1232)
        w.writeErrorResponse(to: q, rcode: rcode)
        var bytes = Array(w.message)
        bytes[3] |= 0x80  // RA: we do offer recursion through the upstreams
        return ForwardResponse(bytes: bytes)
    }

    /// One query over UDP with its own socket (health checks).
    static func udpExchange(_ u: Upstream, _ q: [UInt8], timeoutMilliseconds: Int) -> [UInt8]? {
        let fd = socket(u.address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        Socket.setReceiveTimeout(fd, milliseconds: timeoutMilliseconds)
        q.withUnsafeBytes { Socket.send(fd, $0, to: Socket.address(u.address, port: u.port)) }
        var buf = [UInt8](repeating: 0, count: 65535)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 12 ? Array(buf[0..<n]) : nil
    }

    /// One query over TCP (RFC 1035 §4.2.2 framing), with a timeout on each step.
    static func tcpExchange(_ u: Upstream, _ q: [UInt8], timeoutMilliseconds: Int) -> [UInt8]? {
        let fd = socket(u.address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        Socket.setReceiveTimeout(fd, milliseconds: timeoutMilliseconds)
        var tv = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let sa = Socket.address(u.address, port: u.port)
        let rc = sa.withUnsafeBytes { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        guard rc == 0 else { return nil }
        let (hi, lo) = DNSTCPFraming.lengthPrefix(q.count)
        guard ([hi, lo] + q).withUnsafeBytes({ Socket.writeAll(fd, $0) }) else { return nil }
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65537)
        while true {
            if let (range, _) = DNSTCPFraming.nextMessage(in: got, from: 0) { return Array(got[range]) }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += buf[0..<n]
        }
    }
}

/// A one-shot wait on pthreads (the TCP path blocks a connection thread on it).
final class OneShot: @unchecked Sendable {
    private var cond = pthread_cond_t()
    private var mutex = pthread_mutex_t()
    private var done = false
    init() { pthread_cond_init(&cond, nil); pthread_mutex_init(&mutex, nil) }
    deinit { pthread_cond_destroy(&cond); pthread_mutex_destroy(&mutex) }
    func signal() {
        pthread_mutex_lock(&mutex)
        done = true
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }
    func wait() {
        pthread_mutex_lock(&mutex)
        while !done { pthread_cond_wait(&cond, &mutex) }
        pthread_mutex_unlock(&mutex)
    }
}
