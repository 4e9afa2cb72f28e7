import KubeAPI

/// The part of Kubernetes' protobuf encoding that kubectl's typed commands need for bodies
/// without a spec: `kubectl create namespace` and `create serviceaccount` send
/// `application/vnd.kubernetes.protobuf` whatever the server prefers (client-go 1.32 falls back
/// to JSON after a 415 only for CBOR). This reads the `k8s\0` envelope (`runtime.Unknown`) and an
/// object whose only content is `metadata` (ObjectMeta's name, generateName, namespace, labels,
/// annotations, finalizers) into JSON; anything else is 415, and the client must send JSON.
enum ProtobufBody {
    static let mediaType = "application/vnd.kubernetes.protobuf"

    static func json(from bytes: [UInt8]) throws(Status) -> [UInt8] {
        let unsupported = Status(code: 415, reason: "UnsupportedMediaType",
                                 message: "this server reads protobuf bodies only for objects with nothing but metadata; send application/json")
        guard bytes.count >= 4, Array(bytes[0..<4]) == [0x6b, 0x38, 0x73, 0x00] else { throw unsupported }
        var apiVersion = "", kind = "", raw: [UInt8] = []
        do {
            for field in try fields(Array(bytes[4...])) {
                switch field.number {
                case 1:
                    for meta in try fields(field.bytes) {
                        if meta.number == 1 { apiVersion = String(decoding: meta.bytes, as: UTF8.self) }
                        if meta.number == 2 { kind = String(decoding: meta.bytes, as: UTF8.self) }
                    }
                case 2: raw = field.bytes
                default: break
                }
            }
            var metadata: [String: JSONValue] = [:]
            for field in try fields(raw) {
                switch field.number {
                case 1: metadata = try objectMeta(field.bytes)
                default:
                    // spec and status: only empty ones, or ones holding only a list of finalizers
                    // (Namespace.spec), which the server ignores.
                    if kind != "Namespace" && !field.bytes.isEmpty { throw unsupported }
                }
            }
            let object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": .object(metadata)]
            return Array(KubeJSON.encode(object))
        } catch let status as Status {
            throw status
        } catch {
            throw .badRequest("the protobuf body could not be read")
        }
    }

    private static func objectMeta(_ bytes: [UInt8]) throws -> [String: JSONValue] {
        var meta: [String: JSONValue] = [:]
        var labels: [String: JSONValue] = [:], annotations: [String: JSONValue] = [:], finalizers: [JSONValue] = []
        for field in try fields(bytes) {
            let text = JSONValue.string(String(decoding: field.bytes, as: UTF8.self))
            switch field.number {
            case 1: meta["name"] = text
            case 2: meta["generateName"] = text
            case 3: meta["namespace"] = text
            case 11, 12:
                var key = "", value = ""
                for entry in try fields(field.bytes) {
                    if entry.number == 1 { key = String(decoding: entry.bytes, as: UTF8.self) }
                    if entry.number == 2 { value = String(decoding: entry.bytes, as: UTF8.self) }
                }
                if field.number == 11 { labels[key] = .string(value) } else { annotations[key] = .string(value) }
            case 14: finalizers.append(text)
            default: break
            }
        }
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return meta
    }

    struct WireError: Error {}

    /// The fields of one message; varints and fixed-width values come back as empty `bytes`.
    static func fields(_ bytes: [UInt8]) throws -> [(number: Int, bytes: [UInt8])] {
        var result: [(Int, [UInt8])] = []
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
            case 0: _ = try varint(); result.append((number, []))
            case 1: i += 8; result.append((number, []))
            case 5: i += 4; result.append((number, []))
            case 2:
                let length = Int(try varint())
                guard length >= 0, i + length <= bytes.count else { throw WireError() }
                result.append((number, Array(bytes[i..<(i + length)])))
                i += length
            default: throw WireError()
            }
            guard i <= bytes.count else { throw WireError() }
        }
        return result
    }
}
