import NetAddr

/// The ranges one address is taken from: ADD hands out one address per range set.
/// All ranges of a set share one family and never overlap.
public struct RangeSet: Hashable, Sendable, CustomStringConvertible {
    public var ranges: [AddressRange]

    public init(_ ranges: [AddressRange]) { self.ranges = ranges }

    public var family: IPFamily { ranges[0].family }

    /// The index of the range whose span holds `a`, if any.
    public func rangeIndex(of a: IPAddress) -> Int? {
        ranges.firstIndex { $0.contains(a) }
    }

    public func contains(_ a: IPAddress) -> Bool { rangeIndex(of: a) != nil }

    /// Whether `a` is a network, broadcast or gateway address of any range in the set.
    public func isExcluded(_ a: IPAddress) -> Bool {
        ranges.contains { $0.subnet.contains(a) && $0.isExcluded(a) }
    }

    public func overlaps(_ other: RangeSet) -> Bool {
        ranges.contains { r in other.ranges.contains { r.overlaps($0) } }
    }

    /// `10.1.0.2-10.1.0.254,10.2.0.2-10.2.0.254`, as host-local names a range set.
    public var description: String {
        ranges.map { "\($0.rangeStart)-\($0.rangeEnd)" }.joined(separator: ",")
    }
}
