import FoundationEssentials

/// A type the fast JSON path can read directly from a `JSONReader`.
///
/// Every `FieldCodable` type gets this for free from its field table; the scalar, collection and
/// Kubernetes leaf types (`Time`, `Quantity`, `IntOrString`, ...) conform here. The result must
/// equal what `JSONDecoder` produces; the tests check both paths against each other.
public protocol JSONFastDecodable {
    static func read(from reader: inout JSONReader) throws -> Self
}

/// The Kubernetes JSON codec: a fast decoder for the model types, `JSONEncoder` for output.
public enum KubeJSON {
    /// Decodes a whole document (an object, a list, a watch event) on the fast path.
    public static func decode<T: JSONFastDecodable>(_ type: T.Type = T.self, from data: Data) throws -> T {
        var reader = JSONReader(data)
        let value = try T.read(from: &reader)
        try reader.finish()
        return value
    }

    /// Encodes as kube-apiserver does: fields in declaration order, no escaping of `/`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

extension FieldCodable {
    public static func read(from reader: inout JSONReader) throws -> Self {
        var value = Self()
        let table = Self.fields
        let ordered = table.ordered
        var guess = 0  // kube-apiserver writes fields in Go declaration order, which is table order
        var first = true
        try reader.beginObject()
        while let range = try reader.nextKeyRange(first: &first) {
            var match: CodingField<Self>?
            if reader.escapedKey == nil {
                if guess < ordered.count, reader.keyEquals(range, ordered[guess].utf8Name) {
                    match = ordered[guess]
                    guess += 1
                } else if let k = ordered.firstIndex(where: { reader.keyEquals(range, $0.utf8Name) }) {
                    match = ordered[k]
                    guess = k + 1
                }
            } else {
                match = table.byName[reader.escapedKey!]
            }
            if let field = match {
                if reader.consumeNull() {
                    value.unknownFields[field.name] = .null
                } else {
                    try field.read(&value, &reader)
                }
            } else {
                let key = reader.escapedKey ?? String(decoding: reader.bytes[range], as: UTF8.self)
                value.unknownFields[key] = try reader.readValue()
            }
        }
        return value
    }
}

extension Optional: JSONFastDecodable where Wrapped: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Self {
        reader.consumeNull() ? nil : try Wrapped.read(from: &reader)
    }
}

extension Array: JSONFastDecodable where Element: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Self {
        if reader.consumeNull() { return [] }
        var result: [Element] = []
        var first = true
        try reader.beginArray()
        while try reader.nextElement(first: &first) { result.append(try Element.read(from: &reader)) }
        return result
    }
}

extension Dictionary: JSONFastDecodable where Key == String, Value: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Self {
        if reader.consumeNull() { return [:] }
        var result: [String: Value] = [:]
        var first = true
        try reader.beginObject()
        while let key = try reader.nextKey(first: &first) { result[key] = try Value.read(from: &reader) }
        return result
    }
}

extension String: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> String { try reader.readString() }
}

extension Bool: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Bool { try reader.readBool() }
}

extension Int64: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Int64 { try reader.readInt64() }
}

extension Int32: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Int32 {
        let offset = reader.index
        guard let v = Int32(exactly: try reader.readInt64()) else {
            throw JSONReadError(offset: offset, message: "number does not fit in Int32")
        }
        return v
    }
}

extension Int: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Int { Int(try reader.readInt64()) }
}

extension Double: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Double { try reader.readDouble() }
}

extension Data: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Data {
        let offset = reader.index
        guard let data = Data(base64Encoded: try reader.readString()) else {
            throw JSONReadError(offset: offset, message: "invalid base64")
        }
        return data
    }
}

extension JSONValue: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> JSONValue { try reader.readValue() }
}

extension Time: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Time {
        let offset = reader.index
        let text = try reader.readString()
        guard let time = Time(rfc3339: text) else {
            throw JSONReadError(offset: offset, message: "invalid RFC 3339 time \"\(text)\"")
        }
        return time
    }
}

extension MicroTime: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> MicroTime {
        let offset = reader.index
        let text = try reader.readString()
        guard let time = MicroTime(rfc3339: text) else {
            throw JSONReadError(offset: offset, message: "invalid RFC 3339 time \"\(text)\"")
        }
        return time
    }
}

extension Quantity: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> Quantity {
        let offset = reader.index
        let text: String
        if reader.peek() == UInt8(ascii: "\"") {
            text = try reader.readString()
        } else {
            let (range, _) = try reader.readNumberText()
            text = String(decoding: reader.bytes[range], as: UTF8.self)
        }
        guard let q = Quantity(parsing: text) else {
            throw JSONReadError(offset: offset, message: "invalid quantity \"\(text)\"")
        }
        return q
    }
}

extension IntOrString: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> IntOrString {
        reader.peek() == UInt8(ascii: "\"") ? .string(try reader.readString()) : .int(try Int32.read(from: &reader))
    }
}

extension WatchEvent: JSONFastDecodable {
    public static func read(from reader: inout JSONReader) throws -> WatchEvent {
        // `type` normally comes first; if `object` comes first, keep it as a tree until `type` is known.
        var type: WatchEventType?
        var object: Object?
        var status: Status?
        var pending: JSONValue?
        var first = true
        try reader.beginObject()
        while let key = try reader.nextKey(first: &first) {
            switch key {
            case "type":
                type = WatchEventType(rawValue: try reader.readString())
            case "object" where type == .error:
                status = try Status.read(from: &reader)
            case "object" where type != nil:
                object = try Object.read(from: &reader)
            case "object":
                pending = try reader.readValue()
            default:
                _ = try reader.readValue()
            }
        }
        guard let type else { throw JSONReadError(offset: reader.index, message: "watch event without type") }
        if let pending {
            let data = try JSONEncoder().encode(pending)
            if type == .error { status = try KubeJSON.decode(Status.self, from: data) } else {
                object = try KubeJSON.decode(Object.self, from: data)
            }
        }
        var event = type == .error ? WatchEvent(error: status ?? Status()) : WatchEvent(type: type, object: object ?? Object())
        event.type = type
        return event
    }
}
