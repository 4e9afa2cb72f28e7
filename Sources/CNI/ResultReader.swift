import NetAddr

/// Reads a result of any version into `CNIResult`'s newest shape.
struct ResultReader {
    var reader: JSONReader

    init(code: Int, path: String) { reader = JSONReader(code: code, path: path) }

    func result(_ json: JSONValue, defaultVersion: String?) throws(CNIError) -> CNIResult {
        let o = try reader.object(json)
        guard let version = try reader.string(o, "cniVersion") ?? defaultVersion, !version.isEmpty else {
            throw reader.fail("cniVersion", "required field is missing or empty")
        }
        guard CNIVersion.all.contains(version) else {
            throw CNIError(CNIError.incompatibleVersion, "unsupported result version \"\(version)\"",
                           details: "known versions: \(CNIVersion.all.joined(separator: ", "))")
        }
        var r = CNIResult(cniVersion: version)
        r.dns = try dns(o)
        if CNIVersion.legacyResultVersions.contains(version) {
            try legacy(o, into: &r)
            return r
        }
        for (rd, i) in try reader.objects(o, "interfaces") { r.interfaces.append(try interface(rd, i)) }
        for (rd, ip) in try reader.objects(o, "ips") { r.ips.append(try ipConfig(rd, ip)) }
        for (rd, rt) in try reader.objects(o, "routes") { r.routes.append(try route(rd, rt)) }
        for (n, ip) in r.ips.enumerated() {
            if let i = ip.interface, i < 0 || (!r.interfaces.isEmpty && i >= r.interfaces.count) {
                throw reader.fail("ips[\(n)].interface", "index \(i) is not in interfaces (count \(r.interfaces.count))")
            }
        }
        return r
    }

    private func legacy(_ o: [String: JSONValue], into r: inout CNIResult) throws(CNIError) {
        for (key, family) in [("ip4", IPFamily.v4), ("ip6", IPFamily.v6)] {
            guard let v = o[key], v != .null else { continue }
            let rd = reader.child(key)
            let ip = try rd.object(v)
            guard let address = try rd.prefix(ip, "ip") else { throw rd.fail("ip", "required field is missing") }
            guard address.family == family else { throw rd.fail("ip", "\(address) is not an \(family) address") }
            r.ips.append(.init(address: address, gateway: try rd.address(ip, "gateway")))
            for (rrd, rt) in try rd.objects(ip, "routes") { r.routes.append(try route(rrd, rt)) }
        }
    }

    private func interface(_ rd: JSONReader, _ o: [String: JSONValue]) throws(CNIError) -> CNIResult.Interface {
        CNIResult.Interface(name: try rd.requiredString(o, "name"), mac: try rd.string(o, "mac"),
                            mtu: try rd.int(o, "mtu"), sandbox: try rd.string(o, "sandbox"),
                            socketPath: try rd.string(o, "socketPath"), pciID: try rd.string(o, "pciID"))
    }

    private func ipConfig(_ rd: JSONReader, _ o: [String: JSONValue]) throws(CNIError) -> CNIResult.IPConfig {
        guard let address = try rd.prefix(o, "address") else { throw rd.fail("address", "required field is missing") }
        if let v = try rd.string(o, "version"), !v.isEmpty, v != (address.family == .v4 ? "4" : "6") {
            throw rd.fail("version", "\"\(v)\" does not match address \(address)")
        }
        return .init(address: address, gateway: try rd.address(o, "gateway"), interface: try rd.int(o, "interface"))
    }

    private func route(_ rd: JSONReader, _ o: [String: JSONValue]) throws(CNIError) -> CNIResult.Route {
        guard let dst = try rd.prefix(o, "dst") else { throw rd.fail("dst", "required field is missing") }
        return .init(dst: dst, gw: try rd.address(o, "gw"), mtu: try rd.int(o, "mtu"), advmss: try rd.int(o, "advmss"),
                     priority: try rd.int(o, "priority"), table: try rd.int(o, "table"), scope: try rd.int(o, "scope"))
    }

    func dns(_ o: [String: JSONValue]) throws(CNIError) -> CNIResult.DNS {
        guard let v = o["dns"], v != .null else { return .init() }
        let rd = reader.child("dns")
        let d = try rd.object(v)
        let domain = try rd.string(d, "domain")
        return .init(nameservers: try rd.strings(d, "nameservers"), domain: domain?.isEmpty == true ? nil : domain,
                     search: try rd.strings(d, "search"), options: try rd.strings(d, "options"))
    }
}
