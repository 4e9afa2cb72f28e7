import FoundationEssentials
import NetAddr

// Wire shapes by version (CNI spec "Result" section and its history):
// - 0.1.0, 0.2.0: `ip4`/`ip6` objects {ip, gateway, routes[{dst, gw}]}; no interfaces.
// - 0.3.0, 0.3.1, 0.4.0: `interfaces`, `ips` (each with "version": "4"|"6"), `routes`, `dns`.
// - 1.0.0: as 0.4.0 without `ips[].version`.
// - 1.1.0: adds interface mtu/socketPath/pciID and route mtu/advmss/priority/table/scope.
// Empty lists, nil fields and an empty `dns` are omitted, as the reference library does.

extension CNIResult {
    /// This result as it exists in `version`: fields that version cannot carry are dropped.
    ///
    /// Fails with code 1 for a version this library does not know, and for 0.1.0/0.2.0 when
    /// there is no IP address (those versions cannot express a result without one).
    public func converted(to version: String) throws(CNIError) -> CNIResult {
        guard CNIVersion.all.contains(version) else {
            throw CNIError(CNIError.incompatibleVersion, "cannot convert result to unknown CNI version \"\(version)\"",
                           details: "known versions: \(CNIVersion.all.joined(separator: ", "))")
        }
        var out = self
        out.cniVersion = version
        if CNIVersion.legacyResultVersions.contains(version) {
            return try out.legacyShaped()
        }
        if !CNIVersion.isAtLeast(version, CNIVersion.statusAndGC) {
            out.interfaces = interfaces.map { Interface(name: $0.name, mac: $0.mac, sandbox: $0.sandbox) }
            out.routes = routes.map { Route(dst: $0.dst, gw: $0.gw) }
        }
        return out
    }

    /// 0.2.0 keeps the first address of each family and the routes of families it keeps.
    private func legacyShaped() throws(CNIError) -> CNIResult {
        let v4 = ips.first { $0.address.family == .v4 }
        let v6 = ips.first { $0.address.family == .v6 }
        let kept = [v4, v6].compactMap { $0 }.map { IPConfig(address: $0.address, gateway: $0.gateway) }
        guard !kept.isEmpty else {
            throw CNIError(CNIError.incompatibleVersion,
                           "cannot convert result to CNI version \(cniVersion): it has no IP address")
        }
        let families = Set(kept.map(\.address.family))
        return CNIResult(cniVersion: cniVersion, interfaces: [], ips: kept,
                         routes: routes.filter { families.contains($0.dst.family) }.map { Route(dst: $0.dst, gw: $0.gw) },
                         dns: dns)
    }

    /// The result as JSON in `version` (compact, keys sorted).
    public func encoded(as version: String) throws(CNIError) -> [UInt8] {
        try jsonValue(as: version).encoded()
    }

    /// The result as a JSON value in `version`.
    public func jsonValue(as version: String) throws(CNIError) -> JSONValue {
        let r = try converted(to: version)
        var o: [String: JSONValue] = ["cniVersion": .string(version)]
        if CNIVersion.legacyResultVersions.contains(version) {
            for ip in r.ips {
                var entry: [String: JSONValue] = ["ip": .string(ip.address.description)]
                if let gw = ip.gateway { entry["gateway"] = .string(gw.description) }
                let rs = r.routes.filter { $0.dst.family == ip.address.family }
                if !rs.isEmpty { entry["routes"] = .array(rs.map { $0.jsonValue }) }
                o[ip.address.family == .v4 ? "ip4" : "ip6"] = .object(entry)
            }
        } else {
            let versioned = CNIVersion.versionedIPResultVersions.contains(version)
            if !r.interfaces.isEmpty { o["interfaces"] = .array(r.interfaces.map { $0.jsonValue }) }
            if !r.ips.isEmpty { o["ips"] = .array(r.ips.map { $0.jsonValue(withVersion: versioned) }) }
            if !r.routes.isEmpty { o["routes"] = .array(r.routes.map { $0.jsonValue }) }
        }
        if !r.dns.isEmpty { o["dns"] = r.dns.jsonValue }
        return .object(o)
    }

    /// Decodes a result of any known version (0.1.0 to 1.1.0) into the newest shape.
    ///
    /// `cniVersion` keeps the version the result was written in. Fails with code 6 for bad
    /// JSON or a malformed result, and code 1 for an unknown version.
    public init(decoding bytes: some Collection<UInt8>, defaultVersion: String? = nil) throws(CNIError) {
        try self.init(json: JSONValue(parsing: bytes), defaultVersion: defaultVersion)
    }

    /// Decodes a result from a JSON value; see `init(decoding:defaultVersion:)`.
    ///
    /// `defaultVersion` is used when the object has no `cniVersion` (a `prevResult` is read
    /// in its configuration's version).
    public init(json: JSONValue, defaultVersion: String? = nil) throws(CNIError) {
        let r = ResultReader(code: CNIError.decodeFailure, path: "result")
        self = try r.result(json, defaultVersion: defaultVersion)
    }
}

extension CNIResult.Interface {
    var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name)]
        if let mac, !mac.isEmpty { o["mac"] = .string(mac) }
        if let mtu { o["mtu"] = .number(Double(mtu)) }
        if let sandbox, !sandbox.isEmpty { o["sandbox"] = .string(sandbox) }
        if let socketPath, !socketPath.isEmpty { o["socketPath"] = .string(socketPath) }
        if let pciID, !pciID.isEmpty { o["pciID"] = .string(pciID) }
        return .object(o)
    }
}

extension CNIResult.IPConfig {
    func jsonValue(withVersion: Bool) -> JSONValue {
        var o: [String: JSONValue] = ["address": .string(address.description)]
        if withVersion { o["version"] = .string(address.family == .v4 ? "4" : "6") }
        if let gateway { o["gateway"] = .string(gateway.description) }
        if let interface { o["interface"] = .number(Double(interface)) }
        return .object(o)
    }
}

extension CNIResult.Route {
    var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["dst": .string(dst.description)]
        if let gw { o["gw"] = .string(gw.description) }
        for (key, value) in [("mtu", mtu), ("advmss", advmss), ("priority", priority), ("table", table), ("scope", scope)] {
            if let value { o[key] = .number(Double(value)) }
        }
        return .object(o)
    }
}

extension CNIResult.DNS {
    var jsonValue: JSONValue {
        var o: [String: JSONValue] = [:]
        if !nameservers.isEmpty { o["nameservers"] = .array(nameservers.map { .string($0) }) }
        if let domain, !domain.isEmpty { o["domain"] = .string(domain) }
        if !search.isEmpty { o["search"] = .array(search.map { .string($0) }) }
        if !options.isEmpty { o["options"] = .array(options.map { .string($0) }) }
        return .object(o)
    }
}

extension CNIResult: Codable {
    /// Decodes a result of any known version.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        do { try self.init(json: value) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes the result in its own `cniVersion` (the latest if that is unknown).
    public func encode(to encoder: any Encoder) throws {
        let version = CNIVersion.all.contains(cniVersion) ? cniVersion : CNIVersion.latest
        try jsonValue(as: version).encode(to: encoder)
    }
}
