#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetNS

/// A NETLINK_ROUTE socket: the handle every rtnetlink verb (`linkAdd`, `routeReplace`, …)
/// hangs off.
///
/// A netlink socket stays bound to the network namespace it was created in, so a socket made
/// with `init(in:)` works on that namespace from any thread. Requests are serialised by an
/// internal lock; each is sent with `NLM_F_ACK` and its reply read synchronously.
public final class RTNetlink: @unchecked Sendable {
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    private let lock = Lock()
    // One request and one reply buffer per socket, reused by every call.
    let requestBuffer = MessageBuffer(capacity: Int(trellis_mnl_socket_buffer_size()))
    private let replyBuffer = MessageBuffer(capacity: 32 * 1024)
    /// The namespace the socket lives in; event sockets for `wait…` are opened there too.
    let netns: NetNS

    /// Opens a socket in the calling thread's network namespace.
    /// Equivalent to `mnl_socket_open(NETLINK_ROUTE)` + `mnl_socket_bind`.
    public convenience init() throws(NetlinkError) {
        let here: NetNS
        do { here = try NetNS.current() } catch { throw NetlinkError(error) }
        self.init(adopting: try Self.open(groups: []), in: here)
    }

    /// Opens a socket inside `netns` (on a dedicated thread that has entered it); the socket
    /// then operates on `netns` from any thread.
    public convenience init(in netns: NetNS) throws(NetlinkError) {
        try self.init(entering: netns, groups: [])
    }

    /// Opens a socket in `netns` subscribed to multicast `groups` (`RTNLGRP_*`).
    convenience init(entering netns: NetNS, groups: [UInt32]) throws(NetlinkError) {
        let opened: Result<RawSocket, NetlinkError>
        do {
            opened = try netns.withEntered { () -> Result<RawSocket, NetlinkError> in
                do throws(NetlinkError) { return .success(try Self.open(groups: groups)) }
                catch { return .failure(error) }
            }
        } catch let error as NetNSError {
            throw NetlinkError(error)
        } catch {
            throw NetlinkError("setns", netns.path, errno: EINVAL)
        }
        self.init(adopting: try opened.get(), in: netns)
    }

    private init(adopting raw: RawSocket, in netns: NetNS) {
        socket = raw.pointer
        portID = mnl_socket_get_portid(raw.pointer)
        sequence = UInt32(truncatingIfNeeded: time(nil))
        self.netns = netns
    }

    /// A bound socket on its way out of the namespace-entering thread.
    private struct RawSocket: @unchecked Sendable { let pointer: OpaquePointer }

    private static func open(groups: [UInt32]) throws(NetlinkError) -> RawSocket {
        guard let socket = mnl_socket_open2(NETLINK_ROUTE, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw NetlinkError("socket", "NETLINK_ROUTE", errno: errno)
        }
        func fail(_ operation: String, _ object: String) -> NetlinkError {
            let e = errno
            mnl_socket_close(socket)
            return NetlinkError(operation, object, errno: e)
        }
        if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 { throw fail("bind", "NETLINK_ROUTE") }
        // Ask for the kernel's error text, and not for an echo of our request in errors.
        var on: Int32 = 1
        _ = mnl_socket_setsockopt(socket, trellis_netlink_ext_ack(), &on, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, trellis_netlink_cap_ack(), &on, socklen_t(MemoryLayout<Int32>.size))
        for var group in groups {
            if mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(MemoryLayout<UInt32>.size)) < 0 {
                throw fail("NETLINK_ADD_MEMBERSHIP", "group \(group)")
            }
        }
        return RawSocket(pointer: socket)
    }

    deinit { mnl_socket_close(socket) }

    /// The socket's file descriptor, for `poll(2)`.
    var fileDescriptor: Int32 { mnl_socket_get_fd(socket) }

    // MARK: - The funnel

    /// Sends the request built by `build` with `NLM_F_ACK` and reads replies until the ack,
    /// an error or `NLMSG_DONE`, handing each data message to `onMessage`.
    ///
    /// Every verb goes through here. `object` is evaluated only on failure, after the lock is
    /// released, so it may itself make requests (to name an interface).
    func execute(_ operation: String, _ object: () -> String, flags: Int32 = 0, type: Int32,
                 build: (MessageWriter) -> Void,
                 onMessage: (Message) -> Void = { _ in }) throws(NetlinkError) {
        let failure: (errno: Int32, message: String?)? = lock.withLock {
            let request = MessageWriter(requestBuffer, type: type, flags: flags)
            build(request)
            return transact(request, onMessage)
        }
        if let failure {
            throw NetlinkError(operation, object(), errno: failure.errno,
                               kernelMessage: failure.message)
        }
    }

    private func transact(_ request: MessageWriter, _ onMessage: (Message) -> Void) -> (errno: Int32, message: String?)? {
        sequence &+= 1
        let seq = sequence
        request.nlh.pointee.nlmsg_seq = seq
        while mnl_socket_sendto(socket, request.nlh, Int(request.nlh.pointee.nlmsg_len)) < 0 {
            if errno != EINTR { return (errno, nil) }
        }
        while true {
            let n = mnl_socket_recvfrom(socket, replyBuffer.base, replyBuffer.capacity)
            if n < 0 {
                if errno == EINTR { continue }
                return (errno, nil)
            }
            var remaining = Int32(n)
            var nlh = UnsafeMutablePointer<nlmsghdr>(OpaquePointer(replyBuffer.base))
            while mnl_nlmsg_ok(nlh, remaining) {
                if mnl_nlmsg_seq_ok(nlh, seq) && mnl_nlmsg_portid_ok(nlh, portID) {
                    switch Int32(nlh.pointee.nlmsg_type) {
                    case NLMSG_ERROR: return Self.parseAck(Message(nlh: nlh))
                    case NLMSG_DONE:
                        let status = Message(nlh: nlh).header(Int32.self) ?? 0
                        return status < 0 ? (-status, nil) : nil
                    case NLMSG_NOOP, NLMSG_OVERRUN: break
                    default: onMessage(Message(nlh: nlh))
                    }
                }
                nlh = mnl_nlmsg_next(nlh, &remaining)
            }
        }
    }

    /// An `NLMSG_ERROR`: nil for an ack (error 0), else the errno and any extended-ack text.
    static func parseAck(_ message: Message) -> (errno: Int32, message: String?)? {
        guard let err = message.header(nlmsgerr.self) else { return (EBADMSG, nil) }
        if err.error == 0 { return nil }
        let flags = message.nlh.pointee.nlmsg_flags
        var text: String?
        if flags & trellis_nlm_f_ack_tlvs() != 0 {
            // With NETLINK_CAP_ACK the echoed request is only its header.
            let echoed = flags & trellis_nlm_f_capped() != 0 ? 0 : Int(err.msg.nlmsg_len) - MemoryLayout<nlmsghdr>.size
            let offset = MemoryLayout<nlmsgerr>.size + Int(trellis_nlmsg_align(UInt32(max(0, echoed))))
            let p = message.payload
            if p.count > offset {
                forEachAttribute(in: UnsafeRawBufferPointer(rebasing: p[offset...])) { attr in
                    if attr.type == Int(NLMSGERR_ATTR_MSG.rawValue) { text = attr.string }
                }
            }
        }
        return (-err.error, text)
    }

    /// Reads whatever multicast messages are queued, without blocking, handing each to `body`.
    /// Returns the errno of a failed read (`EAGAIN` when the queue is empty), or `ENOBUFS`
    /// when the kernel dropped events (the caller must then re-read the state).
    func drainEvents(_ body: (Message) -> Void) -> Int32 {
        lock.withLock {
            while true {
                let n = recv(mnl_socket_get_fd(socket), replyBuffer.base, replyBuffer.capacity, Int32(MSG_DONTWAIT))
                if n < 0 { if errno == EINTR { continue }; return errno }
                var remaining = Int32(n)
                var nlh = UnsafeMutablePointer<nlmsghdr>(OpaquePointer(replyBuffer.base))
                while mnl_nlmsg_ok(nlh, remaining) {
                    body(Message(nlh: nlh))
                    nlh = mnl_nlmsg_next(nlh, &remaining)
                }
            }
        }
    }
}

extension NetlinkError {
    init(_ error: NetNSError) { self.init(error.operation, error.object, errno: error.errno) }
}

/// A plain pthread mutex; requests on one socket must not interleave.
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
