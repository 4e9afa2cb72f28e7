import Foundation
import NetNS

/// A minimal HTTP/1.1 responder for the proxy's health endpoints: one thread accepting,
/// one short-lived thread per connection, `Connection: close`. The health checks of load
/// balancers and kubelets are a handful of requests per second; this avoids an event loop.
public final class HealthServer: @unchecked Sendable {
    public typealias Handler = @Sendable (_ method: String, _ path: String) -> (status: Int, contentType: String, body: String)

    private let fd: Int32
    public let port: UInt16
    private let handler: Handler
    private let lock = NSLock()
    private var closed = false

    /// Listens on `host:port` (port 0 = any; see `port`) in `netns` (the socket stays there).
    /// Wraps `socket`, `bind`, `listen`.
    public init(host: String = "0.0.0.0", port: UInt16, netns: NetNS? = nil, handler: @escaping Handler) throws {
        let make = { () throws -> Int32 in
            let v6 = host.contains(":")
            let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw ProxyError("socket", host, errno: errno) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var rc: Int32
            if v6 {
                var a = sockaddr_in6()
                a.sin6_family = sa_family_t(AF_INET6)
                a.sin6_port = port.bigEndian
                _ = inet_pton(AF_INET6, host, &a.sin6_addr)
                rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            } else {
                var a = sockaddr_in()
                a.sin_family = sa_family_t(AF_INET)
                a.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, host, &a.sin_addr)
                rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
            guard rc == 0, listen(fd, 64) == 0 else {
                let e = errno
                close(fd)
                throw ProxyError("bind", "\(host):\(port)", errno: e)
            }
            return fd
        }
        let fd = try netns.map { try $0.withEntered(make) } ?? make()
        var a = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let bound = withUnsafeBytes(of: &a) { UInt16($0[2]) << 8 | UInt16($0[3]) }
        self.fd = fd
        self.port = bound
        self.handler = handler
        let t = Thread { [self] in acceptLoop() }
        t.name = "health:\(self.port)"
        t.start()
    }

    deinit { stop() }

    /// Stops accepting; in-flight requests finish.
    public func stop() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            let handler = self.handler
            Thread { Self.serve(c, handler) }.start()
        }
    }

    private static func serve(_ c: Int32, _ handler: Handler) {
        defer { close(c) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while request.count < 16384 {
            let n = read(c, &buf, buf.count)
            if n <= 0 { break }
            request += buf[0..<n]
            if request.count >= 4, request.suffix(from: max(0, request.count - n - 3)).windows4HasEnd { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2 else { return }
        let path = String(line[1].split(separator: "?", maxSplits: 1).first ?? "")
        let (status, type, body) = handler(String(line[0]), path)
        let reason = [200: "OK", 404: "Not Found", 503: "Service Unavailable"][status] ?? "Status"
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\n"
            + "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
        let out = Array(head.utf8) + bytes
        var off = 0
        while off < out.count {
            let n = out[off...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            off += n
        }
    }
}

extension ArraySlice where Element == UInt8 {
    /// Whether the bytes contain the end of an HTTP header block (`\r\n\r\n`).
    var windows4HasEnd: Bool {
        let a = Array(self)
        guard a.count >= 4 else { return false }
        for i in 0...(a.count - 4) where a[i] == 13 && a[i + 1] == 10 && a[i + 2] == 13 && a[i + 3] == 10 { return true }
        return false
    }
}
