import Foundation
import KubeAPI
import Store

/// An object of any kind as a JSON tree, with the metadata accessors the generic handlers need.
/// The server never decodes objects into their model types: it stores and serves every kind the
/// same way, and the bytes a client sent (unknown fields included) are the bytes it gets back.
struct ObjectDocument: Sendable, Equatable {
    var fields: [String: JSONValue]

    init(fields: [String: JSONValue]) { self.fields = fields }

    /// Parses a request body; 400 for bad JSON or a non-object.
    init(body: [UInt8]) throws(Status) {
        let value: JSONValue
        do {
            value = try KubeJSON.decode(JSONValue.self, from: Data(body))
        } catch {
            throw .badRequest("the request body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw .badRequest("the request body must be a JSON object") }
        self.fields = fields
    }

    /// A stored object, with `metadata.resourceVersion` set to the revision it was read at.
    init(stored bytes: [UInt8], revision: Revision) throws(Status) {
        guard case .object(let fields)? = try? KubeJSON.decode(JSONValue.self, from: Data(bytes)) else {
            throw .internalError("stored object is not a JSON object")
        }
        self.fields = fields
        setMeta("resourceVersion", .string(String(revision)))
    }

    var metadata: [String: JSONValue] {
        get { fields["metadata"]?.objectValue ?? [:] }
        set { fields["metadata"] = .object(newValue) }
    }

    func meta(_ key: String) -> String? { metadata[key]?.stringValue }

    mutating func setMeta(_ key: String, _ value: JSONValue?) {
        var m = metadata
        m[key] = value
        metadata = m
    }

    var name: String? { meta("name") }
    var namespace: String? { meta("namespace") }
    var resourceVersion: String? { meta("resourceVersion") }

    var labels: [String: String] {
        var result: [String: String] = [:]
        for (k, v) in metadata["labels"]?.objectValue ?? [:] { if let s = v.stringValue { result[k] = s } }
        return result
    }

    /// The value at a dotted path (`spec.nodeName`) as a field selector compares it:
    /// strings as they are, numbers and booleans as text, a missing field as "".
    func fieldValue(_ path: String) -> String {
        var node: JSONValue = .object(fields)
        for part in path.split(separator: ".") {
            guard let next = node[String(part)] else { return "" }
            node = next
        }
        switch node {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: return ""
        }
    }

    /// Everything but `metadata` and `status`: what a generation bump is decided on.
    var specification: [String: JSONValue] {
        fields.filter { $0.key != "metadata" && $0.key != "status" && $0.key != "apiVersion" && $0.key != "kind" }
    }

    var json: JSONValue { .object(fields) }

    /// Bytes for the store: the resourceVersion is the store's revision, never stored.
    func storageBytes() -> [UInt8] {
        var copy = self
        copy.setMeta("resourceVersion", nil)
        return Array(KubeJSON.encode(copy.json))
    }

    func responseBytes() -> [UInt8] { Array(KubeJSON.encode(json)) }
}
