#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr

/// A fixed, reusable buffer: one per socket for requests, one for replies.
final class MessageBuffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
    }

    deinit { base.deallocate() }
}

/// Writes one netlink request into a `MessageBuffer` through libmnl.
///
/// Inputs are validated before encoding (names at most 15 bytes), so a request always fits
/// the 8 KiB buffer; the `_check` variants turn a bug into a trap, never an overrun.
struct MessageWriter {
    /// Held so the memory `nlh` points into lives as long as the writer.
    let buffer: MessageBuffer
    let nlh: UnsafeMutablePointer<nlmsghdr>
    let capacity: Int

    init(_ buffer: MessageBuffer, type: Int32, flags: Int32) {
        self.buffer = buffer
        nlh = mnl_nlmsg_put_header(buffer.base)
        capacity = buffer.capacity
        nlh.pointee.nlmsg_type = UInt16(type)
        nlh.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_ACK | flags)
    }

    var type: UInt16 { nlh.pointee.nlmsg_type }

    /// Appends a fixed family header (`ifinfomsg`, `rtmsg`, …) or raw zeroed space.
    func header<T>(_ value: T) {
        precondition(Int(nlh.pointee.nlmsg_len) + MemoryLayout<T>.size <= capacity, "netlink request too large")
        mnl_nlmsg_put_extra_header(nlh, MemoryLayout<T>.size).storeBytes(of: value, as: T.self)
    }

    func put(_ type: some BinaryInteger, raw: UnsafeRawBufferPointer) {
        let ok = mnl_attr_put_check(nlh, capacity, UInt16(type), raw.count, raw.baseAddress)
        precondition(ok, "netlink request too large")
    }

    func put<T: FixedWidthInteger>(_ type: some BinaryInteger, _ value: T) {
        withUnsafeBytes(of: value) { put(type, raw: $0) }
    }

    /// A big-endian 16-bit value (`IFLA_VXLAN_PORT`).
    func put(_ type: some BinaryInteger, bigEndian value: UInt16) { put(type, value.bigEndian) }

    func put(_ type: some BinaryInteger, string: String) {
        var s = string
        s.withUTF8 { utf8 in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: utf8.count + 1) { tmp in
                _ = tmp.initialize(fromContentsOf: utf8)
                tmp[utf8.count] = 0
                put(type, raw: UnsafeRawBufferPointer(tmp))
            }
        }
    }

    /// An address in network byte order, 4 or 16 bytes, with no heap allocation.
    func put(_ type: some BinaryInteger, address: IPAddress) {
        switch address {
        case .v4(let a): withUnsafeBytes(of: a.value.bigEndian) { put(type, raw: $0) }
        case .v6(let a): withUnsafeBytes(of: a.value.bigEndian) { put(type, raw: $0) }
        }
    }

    func put(_ type: some BinaryInteger, mac: MACAddress) {
        mac.bytes.withUnsafeBytes { put(type, raw: $0) }
    }

    /// A nested attribute. libmnl always sets `NLA_F_NESTED` on the type, which every
    /// kernel accepts (and the bridge's `IFLA_PROTINFO` requires).
    func nest(_ type: some BinaryInteger, _ body: () -> Void) {
        guard let start = mnl_attr_nest_start_check(nlh, capacity, UInt16(type)) else {
            preconditionFailure("netlink request too large")
        }
        body()
        mnl_attr_nest_end(nlh, start)
    }

    /// The encoded message, for wire tests.
    var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: nlh, count: Int(nlh.pointee.nlmsg_len)))
    }
}

/// One received netlink attribute. Valid only inside the callback that produced it.
struct Attribute {
    let raw: UnsafePointer<nlattr>

    var type: Int { Int(mnl_attr_get_type(raw)) }
    var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mnl_attr_get_payload(raw), count: Int(mnl_attr_get_payload_len(raw)))
    }

    var u8: UInt8? { payload.count >= 1 ? payload.load(as: UInt8.self) : nil }
    var u16: UInt16? { payload.count >= 2 ? payload.loadUnaligned(as: UInt16.self) : nil }
    var u32: UInt32? { payload.count >= 4 ? payload.loadUnaligned(as: UInt32.self) : nil }
    var i32: Int32? { u32.map { Int32(bitPattern: $0) } }
    var string: String { String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self) }
    var address: IPAddress? { IPAddress(bytes: payload) }
    var mac: MACAddress? { MACAddress(bytes: payload) }

    /// Calls `body` for each attribute nested in this one.
    func forEachNested(_ body: (Attribute) -> Void) { forEachAttribute(in: payload, body) }
}

/// Calls `body` for each well-formed attribute in `region`.
func forEachAttribute(in region: UnsafeRawBufferPointer, _ body: (Attribute) -> Void) {
    guard var p = region.baseAddress else { return }
    let end = p + region.count
    while mnl_attr_ok(p.assumingMemoryBound(to: nlattr.self), Int32(end - p)) {
        let attr = p.assumingMemoryBound(to: nlattr.self)
        body(Attribute(raw: attr))
        p = UnsafeRawPointer(mnl_attr_next(attr))
    }
}

/// One received netlink message. Valid only inside the callback that produced it.
struct Message {
    let nlh: UnsafePointer<nlmsghdr>

    var type: Int32 { Int32(nlh.pointee.nlmsg_type) }
    var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mnl_nlmsg_get_payload(nlh),
                               count: Int(nlh.pointee.nlmsg_len) - Int(mnl_nlmsg_size(0)))
    }

    /// The family header, or nil when the message is too short to hold one.
    func header<T>(_: T.Type) -> T? {
        let p = payload
        return p.count >= MemoryLayout<T>.size ? p.loadUnaligned(as: T.self) : nil
    }

    /// Calls `body` for each attribute after a family header of type `T`.
    func forEachAttribute<T>(after _: T.Type, _ body: (Attribute) -> Void) {
        let p = payload
        let offset = Int(trellis_nlmsg_align(UInt32(MemoryLayout<T>.size)))
        guard p.count >= offset else { return }
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: p[offset...]), body)
    }
}

// MARK: - Byte-level entry points for the wire tests (`@testable import Netlink`).

/// Encodes one request into a fresh buffer and returns its bytes.
func encodeRequest(type: Int32, flags: Int32 = 0, _ build: (MessageWriter) -> Void) -> [UInt8] {
    let writer = MessageWriter(MessageBuffer(capacity: Int(trellis_mnl_socket_buffer_size())), type: type, flags: flags)
    build(writer)
    return writer.bytes
}

/// Runs `body` on `bytes` viewed as one received message.
func withMessage<R>(_ bytes: [UInt8], _ body: (Message) -> R) -> R {
    let buffer = MessageBuffer(capacity: max(bytes.count, 16))
    bytes.withUnsafeBytes { buffer.base.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    return withExtendedLifetime(buffer) {
        body(Message(nlh: UnsafePointer(buffer.base.assumingMemoryBound(to: nlmsghdr.self))))
    }
}
