#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The TCP client under tcpSocket and httpGet probes: blocking calls with a deadline, made
/// on whatever thread (and so network namespace) calls them.
enum ProbeSocket {
    /// Connects to `host:port` before `deadline`; the connected descriptor.
    /// Wraps `getaddrinfo(3)`, `socket(2)`, non-blocking `connect(2)` and `poll(2)`.
    static func connect(host: String, port: Int, deadline: Date) throws(KubeletError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw KubeletError("resolve", host, detail: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw KubeletError("socket", host, errno: errno) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let target = "\(host):\(port)"
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { let e = errno; close(fd); throw KubeletError("connect", target, errno: e) }
            do throws(KubeletError) {
                try waitFor(fd, Int16(POLLOUT), deadline: deadline, what: target)
            } catch { close(fd); throw error }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 { close(fd); throw KubeletError("connect", target, errno: err) }
        }
        return fd
    }

    /// Polls `fd` for `events` until `deadline`. Throws ETIMEDOUT when it passes.
    static func waitFor(_ fd: Int32, _ events: Int16, deadline: Date, what: String) throws(KubeletError) {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw KubeletError("probe", what, errno: ETIMEDOUT) }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(left * 1000 + 1, 60_000)))
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw KubeletError("poll", what, errno: errno) }
        }
    }

    /// Writes `bytes` and reads until end of file, `enough` returns true, or the deadline.
    static func exchange(_ fd: Int32, send bytes: [UInt8], deadline: Date, what: String,
                         enough: ([UInt8]) -> Bool) throws(KubeletError) -> [UInt8] {
        var offset = 0
        while offset < bytes.count {
            try waitFor(fd, Int16(POLLOUT), deadline: deadline, what: what)
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n } else if n < 0 && errno != EINTR && errno != EAGAIN {
                throw KubeletError("write", what, errno: errno)
            }
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while !enough(out) {
            try waitFor(fd, Int16(POLLIN), deadline: deadline, what: what)
            let n = read(fd, &buf, buf.count)
            if n > 0 { out += buf[0..<n] } else if n == 0 { break } else if errno != EINTR && errno != EAGAIN {
                throw KubeletError("read", what, errno: errno)
            }
        }
        return out
    }

    static func closeSocket(_ fd: Int32) { close(fd) }
}
