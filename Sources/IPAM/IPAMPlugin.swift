import CNI
import NetAddr

/// The IPAM plugin's verbs on plain values, for the bridge plugin (in-process) and the
/// `trellis-ipam` binary alike. Parsing the CNI environment is the caller's job.
///
/// STATUS: code 50 (`notAvailable`) when the store cannot be written or read, or a range set
/// has no free address; IPAM never reports 51 (`limitedConnectivity`), which is about the
/// network, not addresses.
///
/// Where we differ from host-local, on purpose:
/// - state is one `state` file per network (see `FileStore`), not a file per address, so a
///   `dataDir` is not shared with host-local for the same network name;
/// - a retried ADD matching what the attachment holds returns it (host-local errors);
/// - network, IPv4 broadcast and every range's gateway are skipped even when an explicit
///   `rangeStart`/`rangeEnd` includes them (host-local would hand out the network address);
/// - `CNI_ARGS` `IP=` takes a comma list, and unknown `CNI_ARGS` keys are ignored;
/// - errors carry codes: 4 duplicate ADD, 5 I/O, 7 config or requested address, 11 requested
///   address in use or store locked, 100 range set exhausted, 104 CHECK found nothing.
public struct IPAMPlugin: Sendable {
    private let fixedStore: (any Store)?

    /// A plugin that keeps state in a `FileStore` at each config's `dataDir`.
    public init() { fixedStore = nil }

    /// A plugin that keeps state in `store`, whatever the config's `dataDir` says.
    public init(store: any Store) { fixedStore = store }

    public func store(for config: IPAMConfig) -> any Store {
        fixedStore ?? FileStore(dataDir: config.dataDir)
    }

    /// ADD from the raw network config and `CNI_ARGS` pairs.
    public func add(config: [UInt8], containerID: String, ifName: String,
                    args: [(String, String)] = []) throws(CNIError) -> CNIResult {
        try add(config: IPAMConfig(networkConfig: config, cniArgs: args), containerID: containerID, ifName: ifName)
    }

    /// ADD: reserves one address per range set (see `Allocator.allocate`) and returns them
    /// with the config's routes and DNS.
    public func add(config: IPAMConfig, containerID: String, ifName: String) throws(CNIError) -> CNIResult {
        let attachment = try Self.attachment(containerID, ifName)
        // Read resolvConf first so that a bad path changes nothing.
        let dns = try config.resolvConf.map { path throws(CNIError) in try ResolvConf.load(path: path) } ?? CNIResult.DNS()
        let allocator = Allocator(config: config)
        let ips = try store(for: config).update(network: config.name) { state throws(CNIError) in
            try allocator.allocate(for: attachment, requested: config.requestedIPs, in: &state)
        }
        return CNIResult(cniVersion: config.cniVersion, ips: ips, routes: config.routes, dns: dns)
    }

    /// DEL from the raw network config.
    @discardableResult
    public func del(config: [UInt8], containerID: String, ifName: String,
                    args: [(String, String)] = []) throws(CNIError) -> [Allocation] {
        try del(config: IPAMConfig(networkConfig: config, cniArgs: args), containerID: containerID, ifName: ifName)
    }

    /// DEL: releases everything the attachment holds in the network. Idempotent.
    @discardableResult
    public func del(config: IPAMConfig, containerID: String, ifName: String) throws(CNIError) -> [Allocation] {
        let attachment = try Self.attachment(containerID, ifName)
        let allocator = Allocator(config: config)
        return try store(for: config).update(network: config.name) { state in
            allocator.release(attachment, in: &state)
        }
    }

    /// CHECK from the raw network config.
    public func check(config: [UInt8], containerID: String, ifName: String,
                      args: [(String, String)] = []) throws(CNIError) {
        try check(config: IPAMConfig(networkConfig: config, cniArgs: args), containerID: containerID, ifName: ifName)
    }

    /// CHECK: the attachment holds an address in every range set (code 104 otherwise).
    public func check(config: IPAMConfig, containerID: String, ifName: String) throws(CNIError) {
        let attachment = try Self.attachment(containerID, ifName)
        let held = try store(for: config).load(network: config.name).allocations(of: attachment)
        for (i, set) in config.rangeSets.enumerated() where !held.contains(where: { set.contains($0.ip) }) {
            throw CNIError(CNIError.checkFailed,
                           "network \(config.name): \(attachment) holds no address in range set \(i) (\(set))")
        }
    }

    /// GC: releases every allocation of the network whose attachment is not in
    /// `validAttachments` (CNI 1.1 `cni.dev/valid-attachments`) and reports what it released.
    @discardableResult
    public func gc(config: IPAMConfig, validAttachments: [ContainerAttachment]) throws(CNIError) -> [Allocation] {
        let allocator = Allocator(config: config)
        let valid = Set(validAttachments)
        return try store(for: config).update(network: config.name) { state in
            allocator.collectGarbage(keeping: valid, in: &state)
        }
    }

    /// STATUS: succeeds when the store is writable and every range set has a free address;
    /// code 50 naming the problem otherwise.
    public func status(config: IPAMConfig) throws(CNIError) {
        let store = store(for: config)
        try store.checkWritable(network: config.name)
        let state: AllocationState
        do { state = try store.load(network: config.name) }
        catch { throw CNIError(CNIError.notAvailable, error.msg, details: error.details) }
        let exhausted = Allocator(config: config).exhaustedSets(in: state)
        if !exhausted.isEmpty {
            throw CNIError(CNIError.notAvailable, "network \(config.name): no free address in "
                + exhausted.map { "range set \($0.0) (\($0.1))" }.joined(separator: ", "))
        }
    }

    /// Every allocation of the network, sorted by address.
    public func list(config: IPAMConfig) throws(CNIError) -> [Allocation] {
        try store(for: config).load(network: config.name).allocations
    }

    private static func attachment(_ containerID: String, _ ifName: String) throws(CNIError) -> ContainerAttachment {
        if containerID.isEmpty { throw CNIError(CNIError.invalidEnvironment, "container ID is empty") }
        if ifName.isEmpty { throw CNIError(CNIError.invalidEnvironment, "interface name is empty") }
        return ContainerAttachment(containerID: containerID, ifName: ifName)
    }
}
