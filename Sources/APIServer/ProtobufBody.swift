import Foundation
import KubeAPI

/// The part of Kubernetes' protobuf encoding that kubectl's typed `create` commands need.
///
/// `kubectl create namespace|serviceaccount|configmap|secret` send
/// `application/vnd.kubernetes.protobuf` whatever the server prefers (client-go 1.32 falls back
/// to JSON after a 415 only for CBOR). This reads the `k8s\0` envelope (`runtime.Unknown`) and,
/// for the kinds in `schemas`, the top-level fields those commands set, into JSON. Any other
/// kind, or a field outside the table, is 415: the client must send JSON (kubectl apply/create -f do).
enum ProtobufBody {
    static let mediaType = "application/vnd.kubernetes.protobuf"

    /// How one top-level protobuf field becomes JSON.
    indirect enum FieldType { case metadata, string, bool, stringMap, bytesMap, ignored, message(Schema) }
    typealias Schema = [Int: (name: String, type: FieldType)]

    /// k8s.io/api/authorization/v1: what `kubectl auth can-i [--list]` sends.
    static let resourceAttributes: Schema = [
        1: ("namespace", .string), 2: ("verb", .string), 3: ("group", .string), 4: ("version", .string),
        5: ("resource", .string), 6: ("subresource", .string), 7: ("name", .string), 8: ("fieldSelector", .ignored),
        9: ("labelSelector", .ignored),
    ]

    /// Field numbers from k8s.io/api/core/v1/generated.proto.
    static let schemas: [String: Schema] = [
        "Namespace": [1: ("metadata", .metadata), 2: ("spec", .ignored), 3: ("status", .ignored)],
        "ServiceAccount": [1: ("metadata", .metadata), 4: ("automountServiceAccountToken", .bool)],
        "ConfigMap": [1: ("metadata", .metadata), 2: ("data", .stringMap), 3: ("binaryData", .bytesMap), 4: ("immutable", .bool)],
        "Secret": [1: ("metadata", .metadata), 2: ("data", .bytesMap), 3: ("type", .string), 4: ("stringData", .stringMap),
                   5: ("immutable", .bool)],
        "SelfSubjectAccessReview": [1: ("metadata", .metadata), 3: ("status", .ignored), 2: ("spec", .message([
            1: ("resourceAttributes", .message(resourceAttributes)),
            2: ("nonResourceAttributes", .message([1: ("path", .string), 2: ("verb", .string)])),
        ]))],
        "SelfSubjectRulesReview": [1: ("metadata", .metadata), 3: ("status", .ignored),
                                   2: ("spec", .message([1: ("namespace", .string)]))],
    ]

    static func json(from bytes: [UInt8]) throws(Status) -> [UInt8] {
        func unsupported(_ what: String) -> Status {
            Status(code: 415, reason: "UnsupportedMediaType",
                   message: "this server reads protobuf bodies only for \(schemas.keys.sorted().joined(separator: ", ")) (got \(what)); send application/json")
        }
        guard bytes.count >= 4, Array(bytes[0..<4]) == [0x6b, 0x38, 0x73, 0x00] else { throw unsupported("no k8s envelope") }
        do {
            var apiVersion = "", kind = "", raw: [UInt8] = []
            for field in try fields(Array(bytes[4...])) {
                if field.number == 1 {
                    for meta in try fields(field.bytes) {
                        if meta.number == 1 { apiVersion = meta.text }
                        if meta.number == 2 { kind = meta.text }
                    }
                }
                if field.number == 2 { raw = field.bytes }
            }
            guard let schema = schemas[kind] else { throw unsupported("kind \(kind)") }
            var object = try message(raw, schema, kind: kind, unsupported: unsupported)
            object["apiVersion"] = .string(apiVersion)
            object["kind"] = .string(kind)
            return Array(KubeJSON.encode(JSONValue.object(object)))
        } catch let status as Status {
            throw status
        } catch {
            throw .badRequest("the protobuf body could not be read")
        }
    }

    /// One message's fields as JSON, by `schema`.
    private static func message(_ bytes: [UInt8], _ schema: Schema, kind: String,
                                unsupported: (String) -> Status) throws -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        for field in try fields(bytes) {
            guard let (name, type) = schema[field.number] else { throw unsupported("\(kind) field \(field.number)") }
            switch type {
            case .metadata: object[name] = .object(try objectMeta(field.bytes))
            case .string: object[name] = .string(field.text)
            case .bool: object[name] = .bool(field.varint != 0)
            case .stringMap, .bytesMap:
                var map = object[name]?.objectValue ?? [:]
                let (key, value) = try entry(field.bytes)
                map[key] = .string(type.isBytesMap ? Data(value).base64EncodedString() : String(decoding: value, as: UTF8.self))
                object[name] = .object(map)
            case .message(let nested): object[name] = .object(try message(field.bytes, nested, kind: kind, unsupported: unsupported))
            case .ignored: break
            }
        }
        return object
    }

    /// ObjectMeta's name, generateName, namespace, labels, annotations and finalizers.
    private static func objectMeta(_ bytes: [UInt8]) throws -> [String: JSONValue] {
        var meta: [String: JSONValue] = [:]
        var labels: [String: JSONValue] = [:], annotations: [String: JSONValue] = [:], finalizers: [JSONValue] = []
        for field in try fields(bytes) {
            switch field.number {
            case 1: meta["name"] = .string(field.text)
            case 2: meta["generateName"] = .string(field.text)
            case 3: meta["namespace"] = .string(field.text)
            case 11: let (k, v) = try entry(field.bytes); labels[k] = .string(String(decoding: v, as: UTF8.self))
            case 12: let (k, v) = try entry(field.bytes); annotations[k] = .string(String(decoding: v, as: UTF8.self))
            case 14: finalizers.append(.string(field.text))
            default: break
            }
        }
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return meta
    }

    /// A map entry message: key = 1, value = 2.
    private static func entry(_ bytes: [UInt8]) throws -> (String, [UInt8]) {
        var key = "", value: [UInt8] = []
        for field in try fields(bytes) {
            if field.number == 1 { key = field.text }
            if field.number == 2 { value = field.bytes }
        }
        return (key, value)
    }

    struct WireError: Error {}

    struct Field {
        var number: Int
        /// Length-delimited content (empty for other wire types).
        var bytes: [UInt8] = []
        /// A varint's value (0 for other wire types).
        var varint: UInt64 = 0
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The fields of one message, in order.
    static func fields(_ bytes: [UInt8]) throws -> [Field] {
        var result: [Field] = []
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw WireError() }
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            let tag = try varint()
            let number = Int(tag >> 3)
            switch tag & 7 {
            case 0: result.append(Field(number: number, varint: try varint()))
            case 1: i += 8; result.append(Field(number: number))
            case 5: i += 4; result.append(Field(number: number))
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - i) else { throw WireError() }
                result.append(Field(number: number, bytes: Array(bytes[i..<(i + Int(length))])))
                i += Int(length)
            default: throw WireError()
            }
            guard i <= bytes.count else { throw WireError() }
        }
        return result
    }
}

extension ProtobufBody.FieldType {
    var isBytesMap: Bool { if case .bytesMap = self { true } else { false } }
}
