#if canImport(Glibc)
import Glibc
#endif
import NetNS
internal import CNftnl

/// A netfilter netlink socket bound to one network namespace: the namespace of the thread
/// that opened it, for its whole life. Thread-safe: requests are serialised.
///
/// Talks nftables through libnftnl; never execs `nft`.
public final class NFTablesConnection: @unchecked Sendable {
    private let fd: Int32
    private var seq: UInt32
    /// One datagram at a time (each ACK is its own datagram); reused, guarded by `mutex`.
    private var receiveBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Opens a socket in the calling thread's network namespace.
    /// Wraps `socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER)`.
    public init() throws(NFTablesError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_NETFILTER)
        guard fd >= 0 else { throw NFTablesError("socket", "NETLINK_NETFILTER", errno: errno) }
        var addr = sockaddr_nl()
        addr.nl_family = sa_family_t(AF_NETLINK)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw NFTablesError("bind", "NETLINK_NETFILTER", errno: e)
        }
        // Errors echo only the failing message's header, not its whole payload.
        var one: Int32 = 1
        setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        self.seq = UInt32(truncatingIfNeeded: time(nil))
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    /// Opens a socket inside `netns` (on a dedicated thread); it stays bound to that namespace.
    public convenience init(in netns: NetNS) throws {
        let opened = try netns.withEntered { () throws -> Int32 in
            let c = try NFTablesConnection()
            return dup(c.fd)
        }
        try self.init(adopting: opened)
    }

    private init(adopting fd: Int32) throws(NFTablesError) {
        guard fd >= 0 else { throw NFTablesError("dup", "NETLINK_NETFILTER", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        self.seq = UInt32(truncatingIfNeeded: time(nil))
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        close(fd)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws(NFTablesError) -> T) throws(NFTablesError) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    private func nextSeq() -> UInt32 {
        seq &+= 1
        return seq
    }

    // MARK: - Transactions

    /// Sends `batch` as one nfnetlink transaction (BEGIN, the operations with `NLM_F_ACK`,
    /// END) and waits for every acknowledgement. The kernel applies all or nothing; on
    /// failure the error names the first operation the kernel rejected.
    /// Equivalent to `nft -f FILE`.
    public func apply(_ batch: Batch) throws(NFTablesError) {
        if batch.isEmpty { return }
        try locked { () throws(NFTablesError) in
            let encoded = try batch.encode(firstSeq: seq &+ 1)
            seq = encoded.endSeq
            try growBuffers(sendBytes: encoded.bytes.count, acks: encoded.messageCount)
            try send(encoded.bytes)
            var pending = Set(encoded.operationBySeq.keys)
            var failure: (seq: UInt32, error: NFTablesError)?
            while !pending.isEmpty {
                for reply in try receive() where reply.type == UInt16(NLMSG_ERROR) {
                    let err = reply.errorCode
                    if reply.seq == encoded.beginSeq || reply.seq == encoded.endSeq {
                        // The transaction itself was refused (e.g. EPERM): nothing else will come.
                        if err != 0 { throw NFTablesError("NFNL_MSG_BATCH", "nf_tables", errno: -err) }
                        continue
                    }
                    guard let index = encoded.operationBySeq[reply.seq], pending.remove(reply.seq) != nil else {
                        continue  // a late reply to an earlier request
                    }
                    if err != 0, failure == nil || reply.seq < failure!.seq {
                        let op = batch.operations[index]
                        failure = (reply.seq, NFTablesError(op.messageName, op.object, errno: -err, operationIndex: index))
                    }
                }
            }
            if let failure { throw failure.error }
        }
    }

    // MARK: - Reading

    /// Whether the table exists. Equivalent to `nft list table FAMILY NAME` succeeding.
    public func tableExists(_ table: Table) throws(NFTablesError) -> Bool {
        do {
            _ = try request(NFT_MSG_GETTABLE, table.family, dump: false, object: "\(table)") { nlh in
                let t = nftnl_table_alloc()!
                defer { nftnl_table_free(t) }
                nftnl_table_set_str(t, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
                nftnl_table_nlmsg_build_payload(nlh, t)
            }
            return true
        } catch where error.isNotFound {
            return false
        }
    }

    /// The elements of a set, decoded with the set's key types (ranges come back as
    /// `.prefix` when they are one, else `.range`). Throws ENOENT when the set (or its table)
    /// does not exist. Equivalent to `nft list set FAMILY TABLE NAME`.
    public func elements(of set: NFTSet) throws(NFTablesError) -> [SetElement] {
        let replies = try request(NFT_MSG_GETSETELEM, set.table.family, dump: true, object: "\(set)") { nlh in
            let s = nftnl_set_alloc()!
            defer { nftnl_set_free(s) }
            nftnl_set_set_str(s, UInt16(NFTNL_SET_TABLE.rawValue), set.table.name)
            nftnl_set_set_str(s, UInt16(NFTNL_SET_NAME.rawValue), set.name)
            nftnl_set_elems_nlmsg_build_payload(nlh, s)
        }
        var raw: [RawElement] = []
        let s = nftnl_set_alloc()!
        defer { nftnl_set_free(s) }
        for reply in replies where reply.type & 0xff == UInt16(NFT_MSG_NEWSETELEM.rawValue) {
            reply.bytes.withUnsafeBytes { p in
                _ = nftnl_set_elems_nlmsg_parse(p.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), s)
            }
        }
        let iter = nftnl_set_elems_iter_create(s)!
        defer { nftnl_set_elems_iter_destroy(iter) }
        while let e = nftnl_set_elems_iter_next(iter) {
            raw.append(RawElement(
                key: bytes(e, NFTNL_SET_ELEM_KEY) ?? [],
                keyEnd: bytes(e, NFTNL_SET_ELEM_KEY_END),
                intervalEnd: nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_FLAGS))
                    && nftnl_set_elem_get_u32(e, UInt16(NFTNL_SET_ELEM_FLAGS)) & UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue) != 0,
                userdata: bytes(e, NFTNL_SET_ELEM_USERDATA),
                verdict: nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_VERDICT))
                    ? Int32(bitPattern: nftnl_set_elem_get_u32(e, UInt16(NFTNL_SET_ELEM_VERDICT))) : nil,
                chain: nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_CHAIN))
                    ? String(cString: nftnl_set_elem_get_str(e, UInt16(NFTNL_SET_ELEM_CHAIN))) : nil))
        }
        return RawElement.decode(raw, in: set)
    }

    private func bytes(_ e: OpaquePointer, _ attr: Int) -> [UInt8]? {
        guard nftnl_set_elem_is_set(e, UInt16(attr)) else { return nil }
        var len: UInt32 = 0
        guard let p = nftnl_set_elem_get(e, UInt16(attr), &len) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: Int(len)))
    }

    /// Sends one GET request and collects the replies until the ACK or NLMSG_DONE.
    private func request(_ type: nf_tables_msg_types, _ family: TableFamily, dump: Bool, object: String,
                         payload: @escaping (UnsafeMutablePointer<nlmsghdr>) -> Void) throws(NFTablesError) -> [Reply] {
        try locked { () throws(NFTablesError) -> [Reply] in
            let s = nextSeq()
            let flags = UInt16(NLM_F_ACK) | (dump ? UInt16(NLM_F_DUMP) : 0)
            let message = buildMessage { buf in
                let nlh = nftnl_nlmsg_build_hdr(buf, UInt16(type.rawValue), UInt16(family.rawValue), flags, s)!
                payload(nlh)
                return nlh
            }
            try send(message)
            var replies: [Reply] = []
            while true {
                for reply in try receive() where reply.seq == s {
                    switch reply.type {
                    case UInt16(NLMSG_ERROR):
                        let err = reply.errorCode
                        if err != 0 { throw NFTablesError(Self.name(type), object, errno: -err) }
                        return replies
                    case UInt16(NLMSG_DONE):
                        return replies
                    default:
                        replies.append(reply)
                    }
                }
            }
        }
    }

    private static func name(_ type: nf_tables_msg_types) -> String {
        type == NFT_MSG_GETTABLE ? "NFT_MSG_GETTABLE" : type == NFT_MSG_GETSETELEM ? "NFT_MSG_GETSETELEM" : "NFT_MSG_\(type.rawValue)"
    }

    // MARK: - Socket I/O

    /// Makes room for a large batch and for one ACK per message (each ACK is its own skb,
    /// about 1 KiB of receive buffer; a full buffer drops ACKs with ENOBUFS). Root may force it.
    private func growBuffers(sendBytes: Int, acks: Int) throws(NFTablesError) {
        func grow(_ force: Int32, _ plain: Int32, _ want: Int) {
            var current: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, plain, &current, &len)
            // The kernel reports double the value set.
            guard Int(current) / 2 < want else { return }
            var size = Int32(clamping: want)
            if setsockopt(fd, SOL_SOCKET, force, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                setsockopt(fd, SOL_SOCKET, plain, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        grow(SO_SNDBUFFORCE, SO_SNDBUF, sendBytes + 4096)
        grow(SO_RCVBUFFORCE, SO_RCVBUF, acks * 2048 + 65536)
    }

    private func send(_ bytes: [UInt8]) throws(NFTablesError) {
        var addr = sockaddr_nl()
        addr.nl_family = sa_family_t(AF_NETLINK)
        while true {
            let n = bytes.withUnsafeBytes { b in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
            if n >= 0 { return }
            if errno != EINTR { throw NFTablesError("sendto", "NETLINK_NETFILTER", errno: errno) }
        }
    }

    /// Receives one datagram (blocking, 5 s limit) and splits it into netlink messages.
    private func receive() throws(NFTablesError) -> [Reply] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&pfd, 1, 5000)
            if r > 0 { break }
            if r == 0 { throw NFTablesError("recvmsg", "NETLINK_NETFILTER", errno: ETIMEDOUT) }
            if errno != EINTR { throw NFTablesError("poll", "NETLINK_NETFILTER", errno: errno) }
        }
        var n = 0
        while true {
            n = receiveBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { break }
            // ENOBUFS: ACKs were dropped, so the batch's outcome is unknown to us.
            if errno != EINTR { throw NFTablesError("recvmsg", "NETLINK_NETFILTER", errno: errno) }
        }
        return Reply.split(receiveBuffer[0..<n])
    }
}

/// One received netlink message.
struct Reply {
    var type: UInt16
    var flags: UInt16
    var seq: UInt32
    var bytes: [UInt8]

    /// For NLMSG_ERROR: the (negative) errno, 0 for an ACK.
    var errorCode: Int32 {
        guard bytes.count >= 20 else { return -EBADMSG }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: Int32.self) }
    }

    static func split(_ data: ArraySlice<UInt8>) -> [Reply] {
        var out: [Reply] = []
        var i = data.startIndex
        while data.endIndex - i >= 16 {
            let header = Array(data[i..<(i + 16)])
            let (len, type, flags, seq) = header.withUnsafeBytes {
                ($0.loadUnaligned(as: UInt32.self), $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self),
                 $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            }
            let length = Int(len)
            guard length >= 16, i + length <= data.endIndex else { break }
            out.append(Reply(type: type, flags: flags, seq: seq, bytes: Array(data[i..<(i + length)])))
            i += (length + 3) & ~3
        }
        return out
    }
}
