#if canImport(Glibc)
import Glibc
#endif
import NetAddr

/// Why a socket call failed: the operation and errno.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// The socket calls of the server and forwarder, in one place.
enum Socket {
    /// A socket address for `ip`:`port` as raw bytes (sockaddr_in or sockaddr_in6).
    static func address(_ ip: IPAddress, port: UInt16) -> [UInt8] {
        if ip.isIPv4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            let b = ip.bytes
            sa.sin_addr.s_addr = (UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])).bigEndian
            return withUnsafeBytes(of: &sa) { Array($0) }
        }
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        sa.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &sa.sin6_addr) { dst in for (i, x) in ip.bytes.enumerated() { dst[i] = x } }
        return withUnsafeBytes(of: &sa) { Array($0) }
    }

    /// The IP of a raw socket address, if it is one of ours.
    static func ip(ofRaw raw: UnsafeRawPointer, length: Int) -> IPAddress? {
        let family = raw.load(as: sa_family_t.self)
        if family == sa_family_t(AF_INET), length >= MemoryLayout<sockaddr_in>.size {
            let sa = raw.load(as: sockaddr_in.self)
            return .v4(IPv4Address(UInt32(bigEndian: sa.sin_addr.s_addr)))
        }
        if family == sa_family_t(AF_INET6), length >= MemoryLayout<sockaddr_in6>.size {
            var sa = raw.load(as: sockaddr_in6.self)
            return withUnsafeBytes(of: &sa.sin6_addr) { IPAddress(bytes: Array($0)) }
        }
        return nil
    }

    static func check(_ rc: Int32, _ op: String) throws(SocketError) {
        if rc < 0 { throw SocketError(operation: op, errno: Glibc.errno) }
    }

    /// A socket bound to `ip`:`port`; `reusePort` for one UDP socket per thread.
    static func bound(_ ip: IPAddress, port: UInt16, type: Int32, reusePort: Bool) throws(SocketError) -> Int32 {
        let fd = socket(ip.isIPv4 ? AF_INET : AF_INET6, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check(fd, "socket")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        if !ip.isIPv4 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let sa = address(ip, port: port)
        let rc = sa.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        if rc < 0 {
            let e = Glibc.errno
            close(fd)
            throw SocketError(operation: "bind \(ip) port \(port)", errno: e)
        }
        return fd
    }

    /// The port a socket is bound to (for port 0 in tests).
    static func localPort(_ fd: Int32) -> UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return withUnsafeBytes(of: &ss) { UInt16($0[2]) << 8 | UInt16($0[3]) }
    }

    static func setReceiveTimeout(_ fd: Int32, milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends `bytes` to the raw socket address `peer`.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to peer: [UInt8]) {
        _ = peer.withUnsafeBytes { p in
            sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL),
                   p.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(p.count))
        }
    }

    /// Writes all of `bytes` to a stream socket; false on error.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
            if n < 0 { if Glibc.errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Starts a detached OS thread (not a Swift concurrency thread: these block in syscalls).
    static func thread(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        pthread_create(&tid, nil, { arg in
            let b = Unmanaged<AnyObject>.fromOpaque(arg!).takeRetainedValue() as! Box
            b.body()
            return nil
        }, box)
        pthread_detach(tid)
    }
}
