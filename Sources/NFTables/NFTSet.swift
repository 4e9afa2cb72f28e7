/// A named set (or verdict map) in a table.
/// Equivalent to `nft add set FAMILY TABLE NAME { type K1 . K2; flags F; }`.
public struct NFTSet: Hashable, Sendable, CustomStringConvertible {
    public var table: Table
    public var name: String
    /// One type, or several for a concatenation (`ipv4_addr . ipv4_addr`).
    public var key: [SetKeyType]
    public var flags: SetFlags
    /// `true` makes this a verdict map (`type K : verdict`).
    public var isVerdictMap: Bool
    /// Default element timeout in milliseconds (needs `.timeout`).
    public var timeoutMilliseconds: UInt64?
    /// The data type of a (non-verdict) map: `type K : D1 . D2`; nil for sets and verdict maps.
    public var dataType: [SetKeyType]?

    public init(table: Table, name: String, key: [SetKeyType], flags: SetFlags = [],
                isVerdictMap: Bool = false, timeoutMilliseconds: UInt64? = nil, dataType: [SetKeyType]? = nil) {
        self.table = table
        self.name = name
        self.key = key
        self.flags = flags
        self.isVerdictMap = isVerdictMap
        self.timeoutMilliseconds = timeoutMilliseconds
        self.dataType = dataType
    }

    /// Bytes of a data map's values, each field padded to a register.
    public var dataLength: Int { (dataType ?? []).reduce(0) { $0 + ($1.length + 3) / 4 * 4 } }
    /// nft's datatype id of the data (concatenations packed as for keys).
    public var dataTypeID: UInt32 { (dataType ?? []).reduce(0) { $0 << 6 | $1.typeID } }

    public var description: String { "\(table) \(name)" }

    /// Whether the key is a concatenation of more than one field.
    public var isConcatenation: Bool { key.count > 1 }

    /// The key length on the wire: each field padded to 4 bytes (`NFT_REG32_SIZE`).
    public var keyLength: Int { key.reduce(0) { $0 + ($1.length + 3) / 4 * 4 } }

    /// nft's datatype id: concatenations pack each field's id in 6 bits (`TYPE_BITS`).
    public var keyTypeID: UInt32 { key.reduce(0) { $0 << 6 | $1.typeID } }
}

/// Set key field types, named as `nft` names them.
public enum SetKeyType: String, Hashable, Sendable, CaseIterable {
    case ipv4Address = "ipv4_addr"
    case ipv6Address = "ipv6_addr"
    case etherAddress = "ether_addr"
    case inetProto = "inet_proto"
    case inetService = "inet_service"
    case mark = "mark"
    case ifname = "ifname"

    /// nft's `enum datatypes` value (kept in the set so `nft list` prints the type).
    public var typeID: UInt32 {
        switch self {
        case .ipv4Address: 7
        case .ipv6Address: 8
        case .etherAddress: 9
        case .inetProto: 12
        case .inetService: 13
        case .mark: 19
        case .ifname: 41
        }
    }

    /// Bytes of the field before register padding.
    public var length: Int {
        switch self {
        case .ipv4Address, .mark: 4
        case .ipv6Address, .ifname: 16
        case .etherAddress: 6
        case .inetProto: 1
        case .inetService: 2
        }
    }
}

/// Set flags. Raw values are `NFT_SET_*`.
public struct SetFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let constant = SetFlags(rawValue: 0x2)
    public static let interval = SetFlags(rawValue: 0x4)
    public static let timeout = SetFlags(rawValue: 0x10)
    /// `NFT_SET_EVAL`: rules may add elements (`update @set { … }`); nft lists it as `dynamic`.
    public static let dynamic = SetFlags(rawValue: 0x20)
}

extension SetFlags: CustomStringConvertible {
    /// `constant, interval, timeout`, as `nft` lists them.
    public var description: String {
        [(SetFlags.constant, "constant"), (.interval, "interval"), (.timeout, "timeout"), (.dynamic, "dynamic")]
            .filter { contains($0.0) }.map(\.1).joined(separator: ", ")
    }
}
