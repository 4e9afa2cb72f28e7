import FoundationEssentials
import NetAddr

/// A (container, interface) pair that addresses are allocated to.
public struct ContainerAttachment: Hashable, Sendable, Codable, CustomStringConvertible {
    public var containerID: String
    public var ifName: String
    public init(containerID: String, ifName: String) {
        self.containerID = containerID
        self.ifName = ifName
    }
    public var description: String { "\(containerID)/\(ifName)" }
}

/// One allocated address.
public struct Allocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var containerID: String
    public var ifName: String

    public init(ip: IPAddress, containerID: String, ifName: String) {
        self.ip = ip
        self.containerID = containerID
        self.ifName = ifName
    }

    public init(ip: IPAddress, attachment: ContainerAttachment) {
        self.init(ip: ip, containerID: attachment.containerID, ifName: attachment.ifName)
    }

    public var attachment: ContainerAttachment { ContainerAttachment(containerID: containerID, ifName: ifName) }

    public var description: String { "\(ip) \(containerID) \(ifName)" }

    public static func < (l: Self, r: Self) -> Bool { l.ip < r.ip }
}

/// Everything the store keeps for one network: the allocations, sorted by address, and the
/// last address reserved in each range set (the round-robin cursor, keyed by the set's index
/// as host-local's `last_reserved_ip.N` files are).
public struct AllocationState: Equatable, Sendable, CustomStringConvertible {
    public private(set) var allocations: [Allocation]
    public var lastReserved: [Int: IPAddress]
    private var byIP: [IPAddress: Int]

    public init(allocations: [Allocation] = [], lastReserved: [Int: IPAddress] = [:]) {
        self.allocations = allocations.sorted()
        self.lastReserved = lastReserved
        byIP = [:]
        reindex()
    }

    public func owner(of ip: IPAddress) -> ContainerAttachment? {
        byIP[ip].map { allocations[$0].attachment }
    }

    public func allocations(of attachment: ContainerAttachment) -> [Allocation] {
        allocations.filter { $0.attachment == attachment }
    }

    /// Adds an allocation. The caller has checked that `ip` is free.
    public mutating func insert(_ a: Allocation) {
        precondition(byIP[a.ip] == nil, "\(a.ip) is already allocated")
        let i = allocations.firstIndex { a.ip < $0.ip } ?? allocations.endIndex
        allocations.insert(a, at: i)
        reindex()
    }

    /// Removes every allocation matching `predicate`; returns them.
    @discardableResult
    public mutating func removeAll(where predicate: (Allocation) -> Bool) -> [Allocation] {
        let removed = allocations.filter(predicate)
        if removed.isEmpty { return [] }
        allocations.removeAll(where: predicate)
        reindex()
        return removed
    }

    private mutating func reindex() {
        byIP = Dictionary(allocations.enumerated().map { ($1.ip, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One line per allocation, then the cursors: stable text for tests and debugging.
    public var description: String {
        (allocations.map(\.description) + lastReserved.keys.sorted().map { "last[\($0)] \(lastReserved[$0]!)" })
            .joined(separator: "\n")
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.allocations == r.allocations && l.lastReserved == r.lastReserved
    }
}

// The on-disk form: `{"version":1,"allocations":[{"ip":…,"containerID":…,"ifName":…}],
// "lastReserved":{"0":"10.1.0.7"}}`, with sorted keys so identical states give identical bytes.
extension AllocationState {
    static let formatVersion = 1

    private struct Wire: Codable {
        var version: Int
        var allocations: [Allocation]
        var lastReserved: [String: IPAddress]
    }

    public func encoded() -> [UInt8] {
        let wire = Wire(version: Self.formatVersion, allocations: allocations,
                        lastReserved: Dictionary(uniqueKeysWithValues: lastReserved.map { (String($0), $1) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain strings and ints cannot fail.
        return Array(try! encoder.encode(wire)) + [UInt8(ascii: "\n")]
    }

    /// Decodes and checks the state: a known version, integer cursor keys, no address twice.
    public init(decoding bytes: [UInt8]) throws(StateFileError) {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(bytes)) }
        catch { throw StateFileError("not valid state JSON: \(error)") }
        guard wire.version == Self.formatVersion else {
            throw StateFileError("unknown format version \(wire.version)")
        }
        var last: [Int: IPAddress] = [:]
        for (k, v) in wire.lastReserved {
            guard let i = Int(k), i >= 0 else { throw StateFileError("bad range set index \"\(k)\"") }
            last[i] = v
        }
        if Set(wire.allocations.map(\.ip)).count != wire.allocations.count {
            throw StateFileError("an address is allocated twice")
        }
        self.init(allocations: wire.allocations, lastReserved: last)
    }
}

/// Why a state file could not be read back.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
