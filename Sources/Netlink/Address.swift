import NetAddr

/// An interface address (`RTM_NEWADDR`), as `ip addr` shows it.
public struct Address: Sendable, Hashable, CustomStringConvertible {
    /// The address with its prefix length, host bits kept (`10.1.2.3/24`).
    public var prefix: IPPrefix
    /// The interface index (`ifa_index`).
    public var index: Int
    public var scope: Scope
    /// `IFA_F_*` flags (from `IFA_FLAGS`, which supersedes the 8-bit `ifa_flags`).
    public var flags: AddressFlags
    /// `IFA_LABEL` (IPv4 only), e.g. `eth0:1`.
    public var label: String?

    public init(prefix: IPPrefix, index: Int, scope: Scope = .universe, flags: AddressFlags = [],
                label: String? = nil) {
        self.prefix = prefix
        self.index = index
        self.scope = scope
        self.flags = flags
        self.label = label
    }

    public var family: IPFamily { prefix.family }
    /// Still running duplicate address detection (IPv6).
    public var isTentative: Bool { flags.contains(.tentative) }

    public var description: String {
        var s = "\(prefix) dev #\(index) scope \(scope)"
        if let label { s += " label \(label)" }
        if !flags.isEmpty { s += " \(flags)" }
        return s
    }
}

/// `IFA_F_*` address flags.
public struct AddressFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let secondary = AddressFlags(rawValue: 0x01)
    public static let noDAD = AddressFlags(rawValue: 0x02)
    public static let optimistic = AddressFlags(rawValue: 0x04)
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    public static let homeAddress = AddressFlags(rawValue: 0x10)
    public static let deprecated = AddressFlags(rawValue: 0x20)
    public static let tentative = AddressFlags(rawValue: 0x40)
    public static let permanent = AddressFlags(rawValue: 0x80)
    public static let manageTempAddr = AddressFlags(rawValue: 0x100)
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)

    private static let names: [(AddressFlags, String)] = [
        (.secondary, "secondary"), (.noDAD, "nodad"), (.optimistic, "optimistic"),
        (.dadFailed, "dadfailed"), (.homeAddress, "home"), (.deprecated, "deprecated"),
        (.tentative, "tentative"), (.permanent, "permanent"), (.manageTempAddr, "mngtmpaddr"),
        (.noPrefixRoute, "noprefixroute"),
    ]

    /// iproute2's words, space separated (`tentative permanent`).
    public var description: String {
        Self.names.filter { contains($0.0) }.map(\.1).joined(separator: " ")
    }
}
