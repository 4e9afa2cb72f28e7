import NetAddr

/// One range of a range set: a subnet and the inclusive span `rangeStart...rangeEnd` to
/// allocate from, with the gateway the result reports. Built validated by `IPAMConfig`.
///
/// Defaults follow host-local: `rangeStart` = network+1, `rangeEnd` = the last address
/// (IPv4: broadcast-1), `gateway` = network+1.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    /// The subnet, host bits zero.
    public var subnet: IPPrefix
    public var rangeStart: IPAddress
    public var rangeEnd: IPAddress
    public var gateway: IPAddress

    /// Makes a range, filling in host-local's defaults. Does not validate: `IPAMConfig` does.
    public init(subnet: IPPrefix, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil,
                gateway: IPAddress? = nil) {
        self.subnet = subnet
        self.rangeStart = rangeStart ?? subnet.first.advanced(by: 1)
        self.rangeEnd = rangeEnd ?? Self.defaultEnd(of: subnet)
        self.gateway = gateway ?? subnet.first.advanced(by: 1)
    }

    /// The last usable address: the IPv4 broadcast minus one; the last IPv6 address.
    static func defaultEnd(of subnet: IPPrefix) -> IPAddress {
        subnet.family == .v4 ? subnet.last.advanced(by: -1) : subnet.last
    }

    public var family: IPFamily { subnet.family }

    /// Whether `a` lies in `rangeStart...rangeEnd` (and so in the subnet).
    public func contains(_ a: IPAddress) -> Bool {
        a.family == family && rangeStart <= a && a <= rangeEnd
    }

    /// Addresses never handed out: the network address, the IPv4 broadcast and the gateway.
    public func isExcluded(_ a: IPAddress) -> Bool {
        a == gateway || a == subnet.first || (family == .v4 && a == subnet.last)
    }

    /// Whether two ranges share any address (host-local compares the spans, not subnets).
    public func overlaps(_ other: AddressRange) -> Bool {
        family == other.family && rangeStart <= other.rangeEnd && other.rangeStart <= rangeEnd
    }

    public var description: String { "\(subnet) \(rangeStart)-\(rangeEnd) gw \(gateway)" }
}
