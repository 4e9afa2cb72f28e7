/// A resource record. Records are built once (from the cluster's Services) and written
/// many times, so their arrays are not on the per-packet path.
public struct DNSRecord: Hashable, Sendable {
    public var name: DNSName
    public var `class`: DNSClass
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: DNSName, class: DNSClass = .in, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.class = `class`
        self.ttl = ttl
        self.data = data
    }

    /// The type, taken from the data.
    public var type: DNSType { data.type }
}
