import NetAddr

/// One field of a set element's key.
public enum ElementField: Hashable, Sendable, CustomStringConvertible {
    case address(IPAddress)
    /// An address range given as a prefix (interval sets only).
    case prefix(IPPrefix)
    /// An arbitrary inclusive address range (interval sets only), as read back from the kernel.
    case range(IPAddress, IPAddress)
    case ifname(String)
    case ether(MACAddress)
    case proto(UInt8)
    case port(UInt16)
    case mark(UInt32)

    public var description: String {
        switch self {
        case let .address(a): "\(a)"
        case let .prefix(p): "\(p)"
        case let .range(a, b): "\(a)-\(b)"
        case let .ifname(n): "\"\(n)\""
        case let .ether(m): "\(m)"
        case let .proto(p): "\(p)"
        case let .port(p): "\(p)"
        case let .mark(m): "\(m)"
        }
    }

    /// Wire bytes of the start (or only) value, unpadded.
    var startBytes: [UInt8] {
        switch self {
        case let .address(a): a.bytes
        case let .prefix(p): p.first.bytes
        case let .range(a, _): a.bytes
        case let .ifname(n): Array((Array(n.utf8) + [UInt8](repeating: 0, count: 16)).prefix(16))
        case let .ether(m): m.bytes
        case let .proto(p): [p]
        case let .port(p): [UInt8(p >> 8), UInt8(p & 0xff)]
        case let .mark(m): withUnsafeBytes(of: m) { Array($0) }  // host byte order, as nft
        }
    }

    /// Wire bytes of the end of the range (the start for a single value).
    var endBytes: [UInt8] {
        switch self {
        case let .prefix(p): p.last.bytes
        case let .range(_, b): b.bytes
        default: startBytes
        }
    }

    var isRange: Bool {
        switch self {
        case .prefix, .range: true
        default: false
        }
    }
}

/// A set (or verdict map) element. Equivalent to one entry of
/// `nft add element FAMILY TABLE SET { KEY [: VERDICT] [comment "…"] }`.
public struct SetElement: Hashable, Sendable, CustomStringConvertible {
    /// The key fields, one per field of the set's key type.
    public var fields: [ElementField]
    /// The verdict, for verdict maps.
    public var verdict: Verdict?
    /// A free-text comment stored as element userdata (nft shows it as `comment`).
    public var comment: String?
    /// Per-element timeout in milliseconds (timeout sets).
    public var timeoutMilliseconds: UInt64?
    /// The value, for data maps (one field per field of the map's data type).
    public var data: [ElementField]?

    public init(_ fields: [ElementField], verdict: Verdict? = nil, comment: String? = nil,
                timeoutMilliseconds: UInt64? = nil, data: [ElementField]? = nil) {
        self.fields = fields
        self.verdict = verdict
        self.comment = comment
        self.timeoutMilliseconds = timeoutMilliseconds
        self.data = data
    }

    /// `a . b . c`, as `nft` prints a concatenated key.
    public var keyDescription: String { fields.map(\.description).joined(separator: " . ") }

    public var description: String {
        var s = keyDescription
        if let verdict { s += " : \(verdict)" }
        if let data { s += " : " + data.map(\.description).joined(separator: " . ") }
        if let comment { s += " comment \"\(comment)\"" }
        return s
    }

    /// Whether any field is a range (the element needs an interval set).
    public var isInterval: Bool { fields.contains { $0.isRange } }

    /// The key on the wire: each field padded to 4 bytes.
    var key: [UInt8] { fields.flatMap { padded($0.startBytes) } }
    /// The end of the key range on the wire.
    var keyEnd: [UInt8] { fields.flatMap { padded($0.endBytes) } }

    /// nft's userdata TLV for a comment: type `NFTNL_UDATA_SET_ELEM_COMMENT` (0), length
    /// (including the NUL), the string, NUL.
    var userdata: [UInt8]? {
        guard let comment else { return nil }
        let bytes = Array(comment.utf8) + [0]
        return [0, UInt8(bytes.count)] + bytes
    }

    /// Parses a comment from nft's userdata TLVs.
    static func comment(fromUserdata data: [UInt8]) -> String? {
        var i = 0
        while i + 2 <= data.count {
            let type = data[i], len = Int(data[i + 1])
            guard i + 2 + len <= data.count else { return nil }
            if type == 0 {
                let value = data[(i + 2)..<(i + 2 + len)].prefix { $0 != 0 }
                return String(decoding: value, as: UTF8.self)
            }
            i += 2 + len
        }
        return nil
    }
}

func padded(_ bytes: [UInt8]) -> [UInt8] {
    bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
}
