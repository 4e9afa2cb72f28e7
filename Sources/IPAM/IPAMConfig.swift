import CNI
import NetAddr

/// The `ipam` section of a network config, in host-local's shape, validated and with
/// host-local's defaults filled in.
///
/// Range sets come in host-local's order: `runtimeConfig.ipRanges` first, then the legacy
/// top-level `subnet`/`rangeStart`/`rangeEnd`/`gateway`, then `ranges`. Requested addresses
/// come from `CNI_ARGS` `IP=a,b`, then `args.cni.ips`, then `runtimeConfig.ips`.
public struct IPAMConfig: Equatable, Sendable {
    public static let defaultDataDir = "/var/lib/cni/networks"

    /// The network name (top-level `name`); names the store's directory.
    public var name: String
    public var cniVersion: String
    public var rangeSets: [RangeSet]
    public var routes: [CNIResult.Route]
    public var dataDir: String
    /// A resolv.conf-style file whose contents become the result's DNS.
    public var resolvConf: String?
    /// Addresses asked for by the runtime; each must fall in a different range set.
    public var requestedIPs: [IPAddress]

    /// Makes a config from values, validating it exactly like one decoded from JSON.
    public init(name: String, cniVersion: String = CNIVersion.latest, rangeSets: [RangeSet],
                routes: [CNIResult.Route] = [], dataDir: String = IPAMConfig.defaultDataDir,
                resolvConf: String? = nil, requestedIPs: [IPAddress] = []) throws(CNIError) {
        let labelled = rangeSets.enumerated().map { i, set in
            (label: "ipam.ranges[\(i)]", ranges: set.ranges.enumerated().map { j, r in
                (label: "ipam.ranges[\(i)][\(j)]", range: r)
            })
        }
        try Self.validate(name: name, dataDir: dataDir, sets: labelled)
        self.name = name
        self.cniVersion = cniVersion
        self.rangeSets = rangeSets
        self.routes = routes
        self.dataDir = dataDir
        self.resolvConf = resolvConf
        self.requestedIPs = requestedIPs
    }

    /// Decodes a whole network config (`{"cniVersion":…,"name":…,"ipam":{…}}`).
    ///
    /// - Parameter cniArgs: the `CNI_ARGS` pairs; only `IP` is read, other keys are ignored.
    /// - Throws: code 6 for malformed JSON, code 7 naming the bad field for a bad value.
    public init(networkConfig bytes: [UInt8], cniArgs: [(String, String)] = []) throws(CNIError) {
        let wire = try NetworkConfigWire.decode(bytes)
        guard let name = wire.name else { throw Self.invalid("name", "missing") }
        guard let ipam = wire.ipam else { throw Self.invalid("ipam", "missing") }

        var requested: [IPAddress] = []
        for (key, value) in cniArgs where key == "IP" {
            for text in value.split(separator: ",") {
                requested.append(try Self.requestedIP(String(text), field: "CNI_ARGS IP"))
            }
        }
        for (i, text) in (wire.args?.cni?.ips ?? []).enumerated() {
            requested.append(try Self.requestedIP(text, field: "args.cni.ips[\(i)]"))
        }
        for (i, text) in (wire.runtimeConfig?.ips ?? []).enumerated() {
            requested.append(try Self.requestedIP(text, field: "runtimeConfig.ips[\(i)]"))
        }

        var sets: [LabelledSet] = []
        for (i, set) in (wire.runtimeConfig?.ipRanges ?? []).enumerated() {
            sets.append(try Self.parse(set, label: "runtimeConfig.ipRanges[\(i)]"))
        }
        if let subnet = ipam.subnet {
            let legacy = RangeWire(subnet: subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd,
                                   gateway: ipam.gateway)
            sets.append((label: "ipam", ranges: [try Self.parse(legacy, label: "ipam")]))
        }
        for (i, set) in (ipam.ranges ?? []).enumerated() {
            sets.append(try Self.parse(set, label: "ipam.ranges[\(i)]"))
        }

        var routes: [CNIResult.Route] = []
        for (i, r) in (ipam.routes ?? []).enumerated() {
            guard let dstText = r.dst else { throw Self.invalid("ipam.routes[\(i)].dst", "missing") }
            guard let dst = IPPrefix(dstText) else {
                throw Self.invalid("ipam.routes[\(i)].dst", "invalid CIDR \"\(dstText)\"")
            }
            var gw: IPAddress?
            if let gwText = r.gw {
                guard let a = IPAddress(gwText), a.family == dst.family else {
                    throw Self.invalid("ipam.routes[\(i)].gw", "invalid \(dst.family) address \"\(gwText)\"")
                }
                gw = a
            }
            routes.append(CNIResult.Route(dst: dst, gw: gw))
        }

        let dataDir = ipam.dataDir ?? Self.defaultDataDir
        try Self.validate(name: name, dataDir: dataDir, sets: sets)
        self.name = name
        self.cniVersion = wire.cniVersion ?? CNIVersion.latest
        self.rangeSets = sets.map { RangeSet($0.ranges.map(\.range)) }
        self.routes = routes
        self.dataDir = dataDir
        self.resolvConf = ipam.resolvConf.flatMap { $0.isEmpty ? nil : $0 }
        self.requestedIPs = requested
    }

    static func invalid(_ field: String, _ problem: String) -> CNIError {
        CNIError(CNIError.invalidConfig, "\(field): \(problem)")
    }

    /// Accepts `10.1.0.5` or, as host-local does, `10.1.0.5/24` (the length is ignored).
    private static func requestedIP(_ text: String, field: String) throws(CNIError) -> IPAddress {
        let bare = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? text
        guard let a = IPAddress(bare) else { throw invalid(field, "invalid IP address \"\(text)\"") }
        return a
    }
}
