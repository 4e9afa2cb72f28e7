/// One plugin's network configuration, as read from stdin (spec section 1 and the keys a
/// runtime adds: `prevResult`, `runtimeConfig`, `cni.dev/valid-attachments`).
///
/// Only the common keys are decoded here. A plugin decodes its own keys from the same bytes
/// with its own `Decodable` type (see `CNICall.decodeConfig`), or reads `json`.
public struct NetworkConfig: Equatable, Sendable {
    public var cniVersion: String
    public var name: String
    public var type: String
    /// The `ipam` object as given, for passing to a delegated IPAM plugin.
    public var ipam: JSONValue?
    /// `ipam.type`, the IPAM plugin to delegate to.
    public var ipamType: String?
    /// The `dns` object.
    public var dns: CNIResult.DNS
    /// The `args` object as given.
    public var args: JSONValue?
    /// `args.cni.ips`: addresses the runtime asks for (strings, optionally with a prefix).
    public var argsIPs: [String]
    /// `runtimeConfig`: capability name to its value (`ips`, `mac`, `portMappings`, `bandwidth`, …).
    public var runtimeConfig: [String: JSONValue]
    /// `prevResult`, decoded from whatever version it was written in.
    public var prevResult: CNIResult?
    /// GC's still-valid attachments, from `cni.dev/valid-attachments` or the older
    /// `cni.dev/attachments`; nil when neither key is present.
    public var validAttachments: [GCAttachment]?
    /// The whole configuration object.
    public var json: JSONValue

    /// A (container ID, interface name) pair that GC must keep.
    public struct GCAttachment: Hashable, Sendable {
        public var containerID: String
        public var ifName: String
        public init(containerID: String, ifName: String) { self.containerID = containerID; self.ifName = ifName }
    }

    /// Decodes a configuration. Code 6 if `bytes` is not JSON; code 7 if it is JSON but not a
    /// valid configuration (missing or mistyped common keys, a name outside the spec's pattern).
    public init(decoding bytes: some Collection<UInt8>) throws(CNIError) {
        try self.init(json: JSONValue(parsing: bytes))
    }

    /// Decodes a configuration from a parsed JSON value; code 7 on an invalid one.
    public init(json: JSONValue) throws(CNIError) {
        let rd = JSONReader(code: CNIError.invalidConfig, path: "")
        let o = try rd.object(json)
        self.json = json
        cniVersion = try rd.requiredString(o, "cniVersion")
        name = try rd.requiredString(o, "name")
        guard CNIEnvironment.isSpecIdentifier(name) else {
            throw rd.fail("name", "invalid network name \"\(name)\": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")
        }
        type = try rd.requiredString(o, "type")

        ipam = o["ipam"].flatMap { $0 == .null ? nil : $0 }
        if let ipam { let ird = rd.child("ipam"); ipamType = try ird.string(ird.object(ipam), "type") }
        dns = try ResultReader(code: CNIError.invalidConfig, path: "").dns(o)
        args = o["args"].flatMap { $0 == .null ? nil : $0 }
        argsIPs = []
        if let args, let cni = try rd.child("args").object(args)["cni"], cni != .null {
            let crd = rd.child("args.cni")
            argsIPs = try crd.strings(crd.object(cni), "ips")
        }
        runtimeConfig = [:]
        if let rc = o["runtimeConfig"], rc != .null { runtimeConfig = try rd.object(rc, "runtimeConfig") }
        if let prev = o["prevResult"], prev != .null {
            do {
                prevResult = try CNIResult(json: prev, defaultVersion: cniVersion)
            } catch {
                // A bad prevResult is a bad configuration; an unknown version stays code 1.
                let code = error.code == CNIError.incompatibleVersion ? error.code : CNIError.invalidConfig
                throw CNIError(code, "prevResult: \(error.msg)", details: error.details)
            }
        }
        validAttachments = try Self.attachments(o, rd)
    }

    private static func attachments(_ o: [String: JSONValue], _ rd: JSONReader) throws(CNIError) -> [GCAttachment]? {
        // libcni writes both keys with the same value (CNI issue #1101); prefer the spec's name.
        let key = o["cni.dev/valid-attachments"] != nil ? "cni.dev/valid-attachments" : "cni.dev/attachments"
        guard o[key] != nil, o[key] != .null else { return nil }
        var out: [GCAttachment] = []
        for (ard, a) in try rd.objects(o, key) {
            out.append(GCAttachment(containerID: try ard.requiredString(a, "containerID"),
                                    ifName: try ard.requiredString(a, "ifname")))
        }
        return out
    }
}
