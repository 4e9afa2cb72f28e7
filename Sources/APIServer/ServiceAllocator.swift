import KubeAPI
import NetAddr
import Synchronization

/// Cluster IPs and node ports in use by Services, as kube-apiserver's allocators keep them.
/// Held in memory and rebuilt from the stored Services on first use; every reservation is
/// made before the write that records it and undone when that write fails.
public final class ServiceAllocator: Sendable {
    public struct Configuration: Sendable {
        /// Where cluster IPs come from: at most one range per family.
        public var serviceCIDRs: [IPPrefix]
        public var nodePorts: ClosedRange<Int>

        public init(serviceCIDRs: [IPPrefix] = [IPPrefix("10.96.0.0/12")!], nodePorts: ClosedRange<Int> = 30000...32767) {
            self.serviceCIDRs = serviceCIDRs
            self.nodePorts = nodePorts
        }

        /// Checks a `--service-cluster-ip-range` style list: one or two ranges, one per family,
        /// each with room for at least a few addresses.
        public static func parse(serviceCIDRs text: String, nodePorts: String = "30000-32767") throws(ConfigurationError) -> Configuration {
            var cidrs: [IPPrefix] = []
            for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let prefix = IPPrefix(part), prefix == prefix.network else {
                    throw ConfigurationError("service CIDR \"\(part)\" is not a network address with a prefix length")
                }
                let hostBits = prefix.address.bitWidth - prefix.length
                guard hostBits >= 2, hostBits <= 20 || prefix.family == .v6 else {
                    throw ConfigurationError("service CIDR \(prefix) must leave 2 to 20 host bits (a /12 to /30 for IPv4)")
                }
                if cidrs.contains(where: { $0.family == prefix.family }) {
                    throw ConfigurationError("at most one service CIDR per IP family (got two for \(prefix.family))")
                }
                cidrs.append(prefix)
            }
            guard !cidrs.isEmpty else { throw ConfigurationError("no service CIDR given") }
            let bounds = nodePorts.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] >= 1, bounds[0] <= bounds[1], bounds[1] <= 65535 else {
                throw ConfigurationError("node port range \"\(nodePorts)\" is not FIRST-LAST within 1-65535")
            }
            return Configuration(serviceCIDRs: cidrs, nodePorts: bounds[0]...bounds[1])
        }
    }

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let configuration: Configuration
    private struct State {
        var loaded = false
        var addresses: Set<IPAddress> = []
        var ports: Set<Int> = []
    }
    private let state = Mutex(State())

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The range for a family, if this cluster has one.
    public func range(_ family: IPFamily) -> IPPrefix? { configuration.serviceCIDRs.first { $0.family == family } }

    /// The families in configuration order (the first is the cluster's primary family).
    public var families: [IPFamily] { configuration.serviceCIDRs.map(\.family) }

    /// The address kube-apiserver gives the `default/kubernetes` Service: the range's first host.
    public func apiServerAddress(_ family: IPFamily) -> IPAddress? { range(family)?.first.advanced(by: 1) }

    /// Seeds the sets from `existing` unless already done; `existing` runs at most once.
    func loadIfNeeded(_ existing: () throws -> [Service]) rethrows {
        try state.withLock { state in
            guard !state.loaded else { return }
            for service in try existing() {
                for ip in Self.clusterIPs(of: service) { state.addresses.insert(ip) }
                for port in Self.nodePorts(of: service) { state.ports.insert(port) }
            }
            state.loaded = true
        }
    }

    /// Reserves `address`; false when it is taken.
    func reserve(_ address: IPAddress) -> Bool { state.withLock { $0.addresses.insert(address).inserted } }

    /// Reserves `port`; false when it is taken.
    func reserve(port: Int) -> Bool { state.withLock { $0.ports.insert(port).inserted } }

    /// A free address of the family's range, reserved; nil when the range is full.
    func allocate(_ family: IPFamily) -> IPAddress? {
        guard let range = range(family) else { return nil }
        let hostBits = range.address.bitWidth - range.length
        // Offsets 1...last are hosts (IPv4 keeps the broadcast address out); offset 1 belongs to
        // the `kubernetes` Service, as in kube-apiserver. Huge IPv6 ranges are used up to 2^20.
        let last = family == .v4 ? (1 << hostBits) - 2 : (hostBits >= 20 ? 1 << 20 : (1 << hostBits) - 1)
        let count = last - 1
        guard count > 0 else { return nil }
        return state.withLock { state -> IPAddress? in
            let start = Int.random(in: 0..<count)
            for step in 0..<count {
                let candidate = range.first.advanced(by: 2 + (start + step) % count)
                if state.addresses.insert(candidate).inserted { return candidate }
            }
            return nil
        }
    }

    /// A free node port, reserved; nil when the range is full.
    func allocatePort() -> Int? {
        let range = configuration.nodePorts
        return state.withLock { state -> Int? in
            let count = range.count
            let start = Int.random(in: 0..<count)
            for step in 0..<count {
                let port = range.lowerBound + (start + step) % count
                if state.ports.insert(port).inserted { return port }
            }
            return nil
        }
    }

    func release(_ addresses: some Sequence<IPAddress>, ports: some Sequence<Int>) {
        state.withLock { state in
            for a in addresses { state.addresses.remove(a) }
            for p in ports { state.ports.remove(p) }
        }
    }

    func isReserved(_ address: IPAddress) -> Bool { state.withLock { $0.addresses.contains(address) } }
    func isReserved(port: Int) -> Bool { state.withLock { $0.ports.contains(port) } }

    static func clusterIPs(of service: Service) -> [IPAddress] {
        let spec = service.spec
        let texts = spec?.clusterIPs ?? spec?.clusterIP.map { [$0] } ?? []
        return texts.compactMap { IPAddress($0) }
    }

    static func nodePorts(of service: Service) -> [Int] {
        var ports = (service.spec?.ports ?? []).compactMap { $0.nodePort.map(Int.init) }
        if let health = service.spec?.healthCheckNodePort { ports.append(Int(health)) }
        return ports
    }
}
