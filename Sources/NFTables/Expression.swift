import NetAddr

/// One nftables rule expression. Build rules from these typed values; the module turns them
/// into libnftnl expressions.
///
/// A match is a load into a register followed by a comparison or a set lookup:
/// `[.meta(.nfproto), .cmp(.eq, .bytes([2])), .payload(.ipSource), .lookup(set: "masq4")]`
/// is `meta nfproto ipv4 ip saddr @masq4`.
public enum Expression: Hashable, Sendable {
    /// Loads a packet header field into `register`. `nft`: `ip saddr`, `ether saddr`, …
    case payload(PayloadField, register: Register = .r0)
    /// Loads packet metadata into `register`. `nft`: `meta iifname`, `meta nfproto`, …
    case meta(MetaKey, register: Register = .r0)
    /// Compares `register` with `data` (already in wire byte order).
    case cmp(CmpOp, register: Register = .r0, data: [UInt8])
    /// `register = (register & mask) ^ xor` over `mask.count` bytes.
    case bitwise(register: Register = .r0, mask: [UInt8], xor: [UInt8])
    /// Matches when the key starting at `register` is (or with `invert`, is not) in `set`.
    case lookup(set: String, register: Register = .r0, invert: Bool = false)
    /// Looks the key up in a verdict map and applies the verdict found. `nft`: `vmap @name`.
    case verdictMap(set: String, register: Register = .r0)
    /// Loads conntrack metadata into `register`. `nft`: `ct state`, `ct direction`.
    case ct(CtKey, register: Register = .r0)
    /// Stores `register` into conntrack metadata. `nft`: `ct mark set …`.
    case ctSet(CtKey, register: Register = .r0)
    /// A packet and byte counter. `nft`: `counter`.
    case counter
    /// Source NAT to the outgoing interface's address. `nft`: `masquerade`.
    case masquerade
    /// A verdict. `nft`: `accept`, `drop`, `return`, `jump CHAIN`, `goto CHAIN`.
    case verdict(Verdict)
    /// Loads constant bytes (wire order) into `register`. `nft`: the `10.1.0.5` of `dnat to 10.1.0.5`.
    case immediate(data: [UInt8], register: Register = .r0)
    /// Sets packet metadata from `register`. `nft`: `meta mark set …`.
    case metaSet(MetaKey, register: Register = .r0)
    /// A uniformly random number in `offset..<offset + modulus` into `register`.
    /// `nft`: `numgen random mod N offset K`.
    case numgenRandom(modulus: UInt32, offset: UInt32 = 0, register: Register = .r0)
    /// Destination NAT to the address in `address` and, when given, the port in `port`.
    /// `nft`: `dnat ip to 10.1.0.5:8080`.
    case dnat(family: IPFamily, address: Register, port: Register?)
    /// Rejects with ICMP (v4) or ICMPv6 port unreachable: the client sees "connection refused".
    /// `nft`: `reject with icmp port-unreachable` (ip) / `icmpv6 port-unreachable` (ip6).
    case rejectPortUnreachable(IPFamily)
    /// Rejects a TCP packet with a reset. `nft`: `reject with tcp reset`.
    case rejectTCPReset
    /// Adds the key in `register` to a dynamic set, or refreshes its timeout when present.
    /// `nft`: `update @set { ip saddr timeout 10s }`.
    case dynsetUpdate(set: String, register: Register = .r0, timeoutMilliseconds: UInt64? = nil)
    /// Looks the key at `register` up in a data map and loads the value into `dataRegister`;
    /// the rule stops when the key is missing. `nft`: `… map @name`.
    case mapLookup(set: String, register: Register = .r0, dataRegister: Register)
    /// Adds or refreshes `key : data` in a dynamic map. `nft`: `update @map { ip saddr : … }`.
    case dynsetUpdateMap(set: String, register: Register = .r0, dataRegister: Register, timeoutMilliseconds: UInt64? = nil)

    /// `ct state new` (the first packet of a connection).
    public static var ctStateNew: [Expression] {
        let new = withUnsafeBytes(of: UInt32(8)) { Array($0) }  // NF_CT_STATE_BIT(IP_CT_NEW), host order
        return [.ct(.state), .bitwise(mask: new, xor: [0, 0, 0, 0]), .cmp(.neq, data: [0, 0, 0, 0])]
    }

    /// `meta nfproto FAMILY` (the IP family of the packet in inet tables).
    public static func nfproto(_ family: IPFamily) -> [Expression] {
        [.meta(.nfproto), .cmp(.eq, data: [family == .v4 ? 2 : 10])]
    }

    /// `meta l4proto PROTO`.
    public static func l4proto(_ proto: UInt8) -> [Expression] {
        [.meta(.l4proto), .cmp(.eq, data: [proto])]
    }

    /// Matches the packet's source or destination address against a prefix
    /// (`ip daddr 224.0.0.0/4`) the way nft encodes it, so `nft list` prints it back as such:
    /// a byte-aligned prefix loads only its bytes (`ff00::/8`: one byte); any other loads
    /// the whole address and masks it.
    public static func address(_ field: AddressField, in prefix: IPPrefix) -> [Expression] {
        let payload = field.payload(prefix.family)
        let location = payload.location
        let net = prefix.network.address.bytes
        if prefix.isHost { return [.payload(payload), .cmp(.eq, data: net)] }
        if prefix.length % 8 == 0 {
            let count = max(1, prefix.length / 8)
            return [.payload(.raw(base: location.base, offset: location.offset, length: UInt32(count))),
                    .cmp(.eq, data: Array(net.prefix(count)))]
        }
        let mask = prefix.netmask.bytes
        return [.payload(payload), .bitwise(mask: mask, xor: [UInt8](repeating: 0, count: mask.count)), .cmp(.eq, data: net)]
    }
}

/// Which address of the IP header.
public enum AddressField: Hashable, Sendable {
    case source, destination

    func payload(_ family: IPFamily) -> PayloadField {
        switch (self, family) {
        case (.source, .v4): .ipSource
        case (.destination, .v4): .ipDestination
        case (.source, .v6): .ip6Source
        case (.destination, .v6): .ip6Destination
        }
    }
}

/// A 32-bit nftables data register (0...15; `NFT_REG32_00` + index on the wire).
///
/// Values longer than 4 bytes fill consecutive registers: an ifname (16 bytes) loaded into
/// `.r0` occupies r0...r3, so a concatenated `ifname . ether_addr` key loads the MAC into `.r4`.
public struct Register: Hashable, Sendable, ExpressibleByIntegerLiteral {
    public var index: UInt32

    public init(_ index: UInt32) {
        precondition(index < 16, "nftables has 16 32-bit registers")
        self.index = index
    }

    public init(integerLiteral value: UInt32) { self.init(value) }

    public static let r0 = Register(0)

    /// The register after a value of `byteCount` bytes stored from this one (4-byte aligned).
    public func advanced(byBytes byteCount: Int) -> Register {
        Register(index + UInt32((byteCount + 3) / 4))
    }
}

/// Packet header fields. Offsets follow the IPv4/IPv6/TCP/UDP/Ethernet headers.
public enum PayloadField: Hashable, Sendable {
    case ipSource, ipDestination, ipProtocol
    case ip6Source, ip6Destination, ip6NextHeader
    case transportSourcePort, transportDestinationPort
    case etherSource, etherDestination, etherType
    /// Any other field: `base` 0 = link layer, 1 = network, 2 = transport header.
    case raw(base: UInt32, offset: UInt32, length: UInt32)

    /// (base, offset, length) as `NFT_PAYLOAD_*_HEADER`, bytes, bytes.
    public var location: (base: UInt32, offset: UInt32, length: UInt32) {
        switch self {
        case .ipSource: (1, 12, 4)
        case .ipDestination: (1, 16, 4)
        case .ipProtocol: (1, 9, 1)
        case .ip6Source: (1, 8, 16)
        case .ip6Destination: (1, 24, 16)
        case .ip6NextHeader: (1, 6, 1)
        case .transportSourcePort: (2, 0, 2)
        case .transportDestinationPort: (2, 2, 2)
        case .etherSource: (0, 6, 6)
        case .etherDestination: (0, 0, 6)
        case .etherType: (0, 12, 2)
        case let .raw(base, offset, length): (base, offset, length)
        }
    }
}

/// Packet metadata keys. Raw values are `NFT_META_*`.
public enum MetaKey: UInt32, Hashable, Sendable {
    case length = 0
    case protocol_ = 1
    case mark = 3
    case iif = 4
    case oif = 5
    case iifname = 6
    case oifname = 7
    case nfproto = 15
    case l4proto = 16

    /// Bytes the key loads into registers.
    public var length: Int {
        switch self {
        case .iifname, .oifname: 16
        case .nfproto, .l4proto: 1
        case .protocol_: 2
        default: 4
        }
    }
}

/// Comparison operators. Raw values are `NFT_CMP_*`.
public enum CmpOp: UInt32, Hashable, Sendable {
    case eq = 0, neq, lt, lte, gt, gte
}

/// Conntrack keys. Raw values are `NFT_CT_*`.
public enum CtKey: UInt32, Hashable, Sendable, CustomStringConvertible {
    /// A 4-byte host-order bitmask: invalid 1, established 2, related 4, new 8, untracked 64.
    case state = 0
    /// One byte: 0 original, 1 reply.
    case direction = 1
    case status = 2
    /// The connection's 4-byte mark (host order).
    case mark = 3

    public var description: String {
        switch self {
        case .state: "state"
        case .direction: "direction"
        case .status: "status"
        case .mark: "mark"
        }
    }
}

/// Rule verdicts.
public enum Verdict: Hashable, Sendable, CustomStringConvertible {
    case accept, drop, `continue`, `return`
    case jump(String)
    case goto(String)

    /// The kernel's verdict code (`NF_DROP`, `NF_ACCEPT`, `NFT_JUMP`, …).
    public var code: Int32 {
        switch self {
        case .drop: 0
        case .accept: 1
        case .continue: -1
        case .jump: -3
        case .goto: -4
        case .return: -5
        }
    }

    public var chain: String? {
        switch self {
        case let .jump(c), let .goto(c): c
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case let .jump(c): "jump \(c)"
        case let .goto(c): "goto \(c)"
        }
    }
}

extension Expression: CustomStringConvertible {
    /// A compact, stable text form for golden plan tests (`meta nfproto => r0; r0 == 0x02`).
    public var description: String {
        switch self {
        case let .payload(f, r): "\(f) => \(r)"
        case let .meta(k, r): "meta \(k) => \(r)"
        case let .cmp(op, r, data): "\(r) \(op) \(hex(data))"
        case let .bitwise(r, mask, xor): "\(r) = (\(r) & \(hex(mask))) ^ \(hex(xor))"
        case let .lookup(set, r, invert): "\(r) \(invert ? "not in" : "in") @\(set)"
        case let .verdictMap(set, r): "\(r) vmap @\(set)"
        case let .ct(k, r): "ct \(k) => \(r)"
        case let .ctSet(k, r): "ct \(k) <= \(r)"
        case .counter: "counter"
        case .masquerade: "masquerade"
        case let .verdict(v): "\(v)"
        case let .immediate(data, r): "\(r) = \(hex(data))"
        case let .metaSet(k, r): "meta \(k) set \(r)"
        case let .numgenRandom(m, o, r): "numgen random mod \(m)" + (o == 0 ? "" : " offset \(o)") + " => \(r)"
        case let .dnat(f, a, p): "dnat \(f == .v4 ? "ip" : "ip6") to \(a)" + (p.map { ":\($0)" } ?? "")
        case let .rejectPortUnreachable(f): "reject with \(f == .v4 ? "icmp" : "icmpv6") port-unreachable"
        case let .dynsetUpdate(set, r, t): "update @\(set) { \(r)" + (t.map { " timeout \($0)ms" } ?? "") + " }"
        case .rejectTCPReset: "reject with tcp reset"
        case let .mapLookup(set, r, d): "\(d) = \(r) map @\(set)"
        case let .dynsetUpdateMap(set, r, d, t): "update @\(set) { \(r) : \(d)" + (t.map { " timeout \($0)ms" } ?? "") + " }"
        }
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

extension Register: CustomStringConvertible {
    public var description: String { "r\(index)" }
}

extension PayloadField: CustomStringConvertible {
    public var description: String {
        switch self {
        case .ipSource: "ip saddr"
        case .ipDestination: "ip daddr"
        case .ipProtocol: "ip protocol"
        case .ip6Source: "ip6 saddr"
        case .ip6Destination: "ip6 daddr"
        case .ip6NextHeader: "ip6 nexthdr"
        case .transportSourcePort: "th sport"
        case .transportDestinationPort: "th dport"
        case .etherSource: "ether saddr"
        case .etherDestination: "ether daddr"
        case .etherType: "ether type"
        case let .raw(base, offset, length): "@\(["ll", "nh", "th"][Int(min(base, 2))]),\(offset * 8),\(length * 8)"
        }
    }
}

extension MetaKey: CustomStringConvertible {
    public var description: String {
        switch self {
        case .length: "length"
        case .protocol_: "protocol"
        case .mark: "mark"
        case .iif: "iif"
        case .oif: "oif"
        case .iifname: "iifname"
        case .oifname: "oifname"
        case .nfproto: "nfproto"
        case .l4proto: "l4proto"
        }
    }
}

extension CmpOp: CustomStringConvertible {
    public var description: String {
        switch self {
        case .eq: "=="
        case .neq: "!="
        case .lt: "<"
        case .lte: "<="
        case .gt: ">"
        case .gte: ">="
        }
    }
}
