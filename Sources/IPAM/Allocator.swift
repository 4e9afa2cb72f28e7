import CNI
import NetAddr

/// host-local's allocation strategy as pure functions over `AllocationState`: no I/O, so a
/// `Store` runs them inside its read–modify–write and tests run them on plain values.
public struct Allocator: Sendable {
    public var config: IPAMConfig

    public init(config: IPAMConfig) { self.config = config }

    /// Plans an ADD: one address per range set, in range-set order.
    ///
    /// Each set continues round-robin after its last reserved address (host-local's
    /// `lastReservedIP`), wrapping across the set's ranges and skipping taken, gateway,
    /// network and broadcast addresses. A requested address must be free and in a set.
    ///
    /// An attachment that already holds one address in every set gets those same addresses
    /// back when nothing else is requested (a retried ADD); host-local errors instead. Any
    /// other ADD for an attachment holding addresses fails with code 4.
    ///
    /// - Throws: 4 duplicate attachment, 7 requested address outside the sets or reserved,
    ///   11 requested address held by another attachment, 100 a range set is exhausted.
    ///   On a throw `state` is unchanged.
    public func allocate(for attachment: ContainerAttachment, requested: [IPAddress] = [],
                         in state: inout AllocationState) throws(CNIError) -> [CNIResult.IPConfig] {
        if let existing = try existingAllocation(for: attachment, requested: requested, in: state) {
            return existing
        }
        let wanted = try requestedBySet(requested, in: state)
        var next = state
        var out: [CNIResult.IPConfig] = []
        for (i, set) in config.rangeSets.enumerated() {
            let picked: (IPAddress, AddressRange)
            if let ip = wanted[i] {
                picked = (ip, set.ranges[set.rangeIndex(of: ip)!])
            } else if let free = nextFree(inSet: i, state: next) {
                picked = free
            } else {
                throw CNIError(CNIError.rangeExhausted,
                               "network \(config.name): no free address in range set \(i) (\(set))")
            }
            next.insert(Allocation(ip: picked.0, attachment: attachment))
            next.lastReserved[i] = picked.0
            out.append(CNIResult.IPConfig(address: IPPrefix(address: picked.0, length: picked.1.subnet.length),
                                          gateway: picked.1.gateway))
        }
        state = next
        return out
    }

    /// The next free address of range set `index` and the range holding it, or nil when the
    /// set is exhausted. Walks from the address after the set's last reserved one.
    public func nextFree(inSet index: Int, state: AllocationState) -> (IPAddress, AddressRange)? {
        let set = config.rangeSets[index]
        let ranges = set.ranges
        func step(_ p: (Int, IPAddress)) -> (Int, IPAddress) {
            if p.1 == ranges[p.0].rangeEnd {
                let n = (p.0 + 1) % ranges.count
                return (n, ranges[n].rangeStart)
            }
            return (p.0, p.1.advanced(by: 1))
        }
        let start: (Int, IPAddress)
        if let last = state.lastReserved[index], let r = set.rangeIndex(of: last) {
            start = step((r, last))
        } else {
            start = (0, ranges[0].rangeStart)
        }
        // Each step visits a new address until the walk wraps. Only taken and excluded
        // addresses (at most three per range) are skipped, so a free one turns up within
        // this many steps if there is one at all: huge IPv6 ranges never get walked whole.
        var budget = state.allocations.count(where: { set.contains($0.ip) }) + 3 * ranges.count + 1
        var p = start
        repeat {
            if !set.isExcluded(p.1) && state.owner(of: p.1) == nil { return (p.1, ranges[p.0]) }
            p = step(p)
            budget -= 1
        } while budget > 0 && !(p.0 == start.0 && p.1 == start.1)
        return nil
    }

    /// Releases everything `attachment` holds in this network (DEL). Releasing nothing is fine.
    @discardableResult
    public func release(_ attachment: ContainerAttachment, in state: inout AllocationState) -> [Allocation] {
        state.removeAll { $0.attachment == attachment }
    }

    /// Releases every allocation whose attachment is not in `valid` (GC).
    @discardableResult
    public func collectGarbage(keeping valid: Set<ContainerAttachment>, in state: inout AllocationState) -> [Allocation] {
        state.removeAll { !valid.contains($0.attachment) }
    }

    /// Range sets with no free address, as `(index, set)`.
    public func exhaustedSets(in state: AllocationState) -> [(Int, RangeSet)] {
        config.rangeSets.indices.filter { nextFree(inSet: $0, state: state) == nil }.map { ($0, config.rangeSets[$0]) }
    }

    // MARK: - ADD details

    private func existingAllocation(for attachment: ContainerAttachment, requested: [IPAddress],
                                    in state: AllocationState) throws(CNIError) -> [CNIResult.IPConfig]? {
        let held = state.allocations(of: attachment).filter { a in config.rangeSets.contains { $0.contains(a.ip) } }
        if held.isEmpty { return nil }
        var out: [CNIResult.IPConfig] = []
        for set in config.rangeSets {
            let inSet = held.filter { set.contains($0.ip) }
            guard inSet.count == 1, let r = set.rangeIndex(of: inSet[0].ip) else { out = []; break }
            out.append(CNIResult.IPConfig(address: IPPrefix(address: inSet[0].ip, length: set.ranges[r].subnet.length),
                                          gateway: set.ranges[r].gateway))
        }
        let heldIPs = Set(held.map(\.ip))
        if !out.isEmpty && requested.allSatisfy(heldIPs.contains) { return out }
        throw CNIError(CNIError.invalidEnvironment,
                       "network \(config.name): \(attachment) already holds \(held.map { "\($0.ip)" }.joined(separator: ", ")); DEL it before another ADD")
    }

    /// Maps each requested address to its range set, checking it may be handed out.
    private func requestedBySet(_ requested: [IPAddress], in state: AllocationState) throws(CNIError) -> [Int: IPAddress] {
        var bySet: [Int: IPAddress] = [:]
        for ip in requested {
            guard let i = config.rangeSets.firstIndex(where: { $0.contains(ip) }) else {
                throw CNIError(CNIError.invalidConfig,
                               "network \(config.name): requested IP \(ip) is not in any range set (\(config.rangeSets.map(\.description).joined(separator: "; ")))")
            }
            if let other = bySet[i] {
                if other == ip { continue }
                throw CNIError(CNIError.invalidConfig,
                               "network \(config.name): requested IPs \(other) and \(ip) are both in range set \(i) (\(config.rangeSets[i])); one address per range set")
            }
            if config.rangeSets[i].isExcluded(ip) {
                throw CNIError(CNIError.invalidConfig,
                               "network \(config.name): requested IP \(ip) is a gateway, network or broadcast address")
            }
            if let owner = state.owner(of: ip) {
                throw CNIError(CNIError.tryAgainLater,
                               "network \(config.name): requested IP \(ip) is in use by \(owner)")
            }
            bySet[i] = ip
        }
        return bySet
    }
}
