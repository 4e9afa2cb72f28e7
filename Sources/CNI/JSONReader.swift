import NetAddr

/// Reads typed fields out of a `JSONValue` object, failing with one CNI code and a message
/// that names the field's path (`ipam.routes[0].dst: expected string, got number`).
struct JSONReader {
    var code: Int
    var path: String

    func fail(_ key: String?, _ message: String) -> CNIError {
        let at = key.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? path
        return CNIError(code, at.isEmpty ? message : "\(at): \(message)")
    }

    func child(_ key: String) -> JSONReader {
        JSONReader(code: code, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func object(_ value: JSONValue, _ key: String? = nil) throws(CNIError) -> [String: JSONValue] {
        guard let o = value.objectValue else { throw fail(key, "expected object, got \(value.typeName)") }
        return o
    }

    func string(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> String? {
        guard let v = o[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw fail(key, "expected string, got \(v.typeName)") }
        return s
    }

    func requiredString(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> String {
        guard let s = try string(o, key), !s.isEmpty else { throw fail(key, "required field is missing or empty") }
        return s
    }

    func int(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> Int? {
        guard let v = o[key], v != .null else { return nil }
        guard let n = v.intValue else { throw fail(key, "expected integer, got \(v.typeName)") }
        return n
    }

    func bool(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> Bool? {
        guard let v = o[key], v != .null else { return nil }
        // libcni also accepts "true"/"false" strings for conflist flags.
        if let s = v.stringValue, let b = Bool(s.lowercased()) { return b }
        guard let b = v.boolValue else { throw fail(key, "expected boolean, got \(v.typeName)") }
        return b
    }

    func array(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> [JSONValue]? {
        guard let v = o[key], v != .null else { return nil }
        guard let a = v.arrayValue else { throw fail(key, "expected array, got \(v.typeName)") }
        return a
    }

    func strings(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> [String] {
        var out: [String] = []
        for (i, v) in (try array(o, key) ?? []).enumerated() {
            guard let s = v.stringValue else { throw fail("\(key)[\(i)]", "expected string, got \(v.typeName)") }
            out.append(s)
        }
        return out
    }

    func prefix(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> IPPrefix? {
        guard let s = try string(o, key) else { return nil }
        guard let p = IPPrefix(s) else { throw fail(key, "invalid CIDR \"\(s)\"") }
        return p
    }

    func address(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> IPAddress? {
        guard let s = try string(o, key), !s.isEmpty else { return nil }
        guard let a = IPAddress(s) else { throw fail(key, "invalid IP address \"\(s)\"") }
        return a
    }

    /// Each element of the array at `key` as an object, with its own reader (`key[i]`).
    func objects(_ o: [String: JSONValue], _ key: String) throws(CNIError) -> [(JSONReader, [String: JSONValue])] {
        var out: [(JSONReader, [String: JSONValue])] = []
        for (i, v) in (try array(o, key) ?? []).enumerated() {
            let r = child("\(key)[\(i)]")
            out.append((r, try r.object(v)))
        }
        return out
    }
}
