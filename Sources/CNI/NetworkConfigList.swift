/// A network configuration list (`.conflist`), as a runtime reads it from `/etc/cni/net.d`.
///
/// The runtime turns each entry of `plugins` into one plugin's stdin with `pluginConfig`,
/// which injects `name`, `cniVersion`, `prevResult` and the `runtimeConfig` the plugin has
/// the capability for; `add`, `check` and `del` run the chain in spec order.
public struct NetworkConfigList: Equatable, Sendable {
    public var cniVersion: String
    /// `cniVersions` (1.1): versions the file is written for; the runtime uses the highest it supports.
    public var cniVersions: [String]
    public var name: String
    public var disableCheck: Bool
    public var disableGC: Bool
    /// Each plugin's object, as given.
    public var plugins: [JSONValue]

    public init(cniVersion: String, cniVersions: [String] = [], name: String, disableCheck: Bool = false,
                disableGC: Bool = false, plugins: [JSONValue]) {
        self.cniVersion = cniVersion; self.cniVersions = cniVersions; self.name = name
        self.disableCheck = disableCheck; self.disableGC = disableGC; self.plugins = plugins
    }

    /// Decodes a conflist; a single-plugin `.conf` (no `plugins` key) becomes a list of one,
    /// as libcni does. Code 6 for bad JSON, 7 for an invalid list.
    public init(decoding bytes: some Collection<UInt8>) throws(CNIError) {
        let json = try JSONValue(parsing: bytes)
        let rd = JSONReader(code: CNIError.invalidConfig, path: "")
        let o = try rd.object(json)
        guard let list = try rd.array(o, "plugins") else {
            let single = try NetworkConfig(json: json)
            self.init(cniVersion: single.cniVersion, name: single.name, plugins: [json])
            return
        }
        let versions = try rd.strings(o, "cniVersions")
        let version = try rd.string(o, "cniVersion") ?? ""
        guard !version.isEmpty || !versions.isEmpty else {
            throw rd.fail("cniVersion", "required field is missing or empty")
        }
        let name = try rd.requiredString(o, "name")
        guard CNIEnvironment.isSpecIdentifier(name) else {
            throw rd.fail("name", "invalid network name \"\(name)\": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")
        }
        guard !list.isEmpty else { throw rd.fail("plugins", "the list has no plugins") }
        for (prd, p) in try rd.objects(o, "plugins") { _ = try prd.requiredString(p, "type") }
        self.init(cniVersion: version, cniVersions: versions, name: name,
                  disableCheck: try rd.bool(o, "disableCheck") ?? false,
                  disableGC: try rd.bool(o, "disableGC") ?? false, plugins: list)
    }

    /// The version to call plugins with: the highest of `cniVersions` that `supported` has,
    /// else `cniVersion`.
    public func negotiatedVersion(supported: [String] = CNIVersion.all) -> String {
        CNIVersion.highestCommon(cniVersions, supported) ?? (cniVersion.isEmpty ? CNIVersion.latest : cniVersion)
    }

    /// The `type` of plugin `index`.
    public func type(at index: Int) -> String { plugins[index]["type"]?.stringValue ?? "" }

    /// Plugin `index`'s stdin: its object with `name` and `cniVersion` set, `prevResult` in
    /// that version if given, and of `runtimeConfig` only the keys the plugin declares in
    /// `capabilities` (libcni's rule).
    public func pluginConfig(at index: Int, version: String? = nil, prevResult: CNIResult? = nil,
                             runtimeConfig: [String: JSONValue] = [:],
                             extra: [String: JSONValue] = [:]) throws(CNIError) -> JSONValue {
        let v = version ?? negotiatedVersion()
        var o = plugins[index].objectValue ?? [:]
        o["name"] = .string(name)
        o["cniVersion"] = .string(v)
        if let prevResult { o["prevResult"] = try prevResult.jsonValue(as: v) }
        let capabilities = o["capabilities"]?.objectValue ?? [:]
        let granted = runtimeConfig.filter { capabilities[$0.key] == .bool(true) }
        if !granted.isEmpty { o["runtimeConfig"] = .object(granted) } else { o["runtimeConfig"] = nil }
        for (key, value) in extra { o[key] = value }
        return .object(o)
    }

    /// Runs ADD along the chain: each plugin gets the previous plugin's result as
    /// `prevResult`; returns the last result. `invoke(type, config)` executes one plugin.
    public func add(runtimeConfig: [String: JSONValue] = [:],
                    invoke: (String, [UInt8]) throws(CNIError) -> CNIResult?) throws(CNIError) -> CNIResult? {
        var prev: CNIResult?
        for i in plugins.indices {
            let config = try pluginConfig(at: i, prevResult: prev, runtimeConfig: runtimeConfig)
            prev = try invoke(type(at: i), config.encoded()) ?? prev
        }
        return prev
    }

    /// Runs CHECK along the chain with the cached ADD result as every plugin's `prevResult`.
    /// Does nothing when `disableCheck` is set. Fails with code 1 below version 0.4.0.
    public func check(cachedResult: CNIResult, runtimeConfig: [String: JSONValue] = [:],
                      invoke: (String, [UInt8]) throws(CNIError) -> Void) throws(CNIError) {
        guard !disableCheck else { return }
        let v = negotiatedVersion()
        guard CNIVersion.isAtLeast(v, CNIVersion.check) else {
            throw CNIError(CNIError.incompatibleVersion, "configuration version \(v) does not allow CHECK")
        }
        for i in plugins.indices {
            try invoke(type(at: i), pluginConfig(at: i, prevResult: cachedResult, runtimeConfig: runtimeConfig).encoded())
        }
    }

    /// Runs DEL along the chain in reverse order, with the cached ADD result (if any) as
    /// `prevResult`. Every plugin is called even if one fails; the first error is thrown.
    public func del(cachedResult: CNIResult?, runtimeConfig: [String: JSONValue] = [:],
                    invoke: (String, [UInt8]) throws(CNIError) -> Void) throws(CNIError) {
        var first: CNIError?
        for i in plugins.indices.reversed() {
            do {
                try invoke(type(at: i), pluginConfig(at: i, prevResult: cachedResult, runtimeConfig: runtimeConfig).encoded())
            } catch {
                first = first ?? error
            }
        }
        if let first { throw first }
    }

    /// Plugin `index`'s stdin for GC: the still-valid attachments under both the spec's key and
    /// the older one, as libcni writes them.
    public func gcConfig(at index: Int, validAttachments: [NetworkConfig.GCAttachment]) throws(CNIError) -> JSONValue {
        let list = JSONValue.array(validAttachments.map {
            .object(["containerID": .string($0.containerID), "ifname": .string($0.ifName)])
        })
        return try pluginConfig(at: index, extra: ["cni.dev/valid-attachments": list, "cni.dev/attachments": list])
    }
}
