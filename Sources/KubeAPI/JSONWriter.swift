import FoundationEssentials

/// A type the fast JSON path can write directly into a `JSONWriter`.
public protocol JSONFastEncodable {
    func write(to writer: inout JSONWriter)
}

/// Both halves of the fast path.
public typealias JSONFastCodable = JSONFastDecodable & JSONFastEncodable

/// An append-only JSON byte buffer. Output is compact, keys of maps are sorted (as Go's
/// encoding/json sorts them), `/` is not escaped, and non-finite doubles are written as `null`.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func append(_ byte: UInt8) { bytes.append(byte) }
    @inline(__always) mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    public mutating func writeNull() { bytes.append(contentsOf: [110, 117, 108, 108]) }

    public mutating func writeBool(_ value: Bool) {
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func writeInt(_ value: Int64) { bytes.append(contentsOf: String(value).utf8) }

    public mutating func writeDouble(_ value: Double) {
        guard value.isFinite else { writeNull(); return }
        if value == value.rounded(), abs(value) < 1e15 { writeInt(Int64(value)); return }
        bytes.append(contentsOf: "\(value)".utf8)
    }

    public mutating func writeString(_ value: String) {
        bytes.append(34)
        let utf8 = value.utf8
        // Most strings need no escaping: copy them whole.
        if !utf8.contains(where: { $0 < 0x20 || $0 == 34 || $0 == 92 }) {
            bytes.append(contentsOf: utf8)
            bytes.append(34)
            return
        }
        for b in utf8 {
            switch b {
            case 34: bytes.append(contentsOf: [92, 34])
            case 92: bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, 110])
            case 0x0D: bytes.append(contentsOf: [92, 114])
            case 0x09: bytes.append(contentsOf: [92, 116])
            case 0x08: bytes.append(contentsOf: [92, 98])
            case 0x0C: bytes.append(contentsOf: [92, 102])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(34)
    }

    /// `"key":`, escaped, ready to append before a member's value.
    static func memberPrefix(_ key: String) -> [UInt8] {
        var w = JSONWriter(capacity: key.utf8.count + 3)
        w.writeString(key)
        w.append(58)
        return w.bytes
    }
}

extension KubeJSON {
    /// Encodes a model type on the fast path: fields in declaration order, unknown fields after
    /// them in key order, map keys sorted. Same JSON as `JSONEncoder` modulo key order.
    public static func encode<T: Encodable & JSONFastEncodable>(_ value: T) -> Data {
        var writer = JSONWriter()
        value.write(to: &writer)
        return Data(writer.bytes)
    }
}

extension FieldCodable {
    public func write(to writer: inout JSONWriter) {
        writer.append(123)
        var first = true
        let table = Self.fields
        for field in table.ordered { field.write(self, &writer, &first) }
        if !unknownFields.isEmpty {
            for key in unknownFields.keys.sorted() {
                if let field = table.byName[key], field.isPresent(self) { continue }
                if !first { writer.append(44) }
                first = false
                writer.writeString(key)
                writer.append(58)
                unknownFields[key]!.write(to: &writer)
            }
        }
        writer.append(125)
    }
}

extension Optional: JSONFastEncodable where Wrapped: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        if let self { self.write(to: &writer) } else { writer.writeNull() }
    }
}

extension Array: JSONFastEncodable where Element: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        writer.append(91)
        for (i, element) in enumerated() {
            if i > 0 { writer.append(44) }
            element.write(to: &writer)
        }
        writer.append(93)
    }
}

extension Dictionary: JSONFastEncodable where Key == String, Value: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        writer.append(123)
        for (i, key) in keys.sorted().enumerated() {
            if i > 0 { writer.append(44) }
            writer.writeString(key)
            writer.append(58)
            self[key]!.write(to: &writer)
        }
        writer.append(125)
    }
}

extension String: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeString(self) }
}

extension Bool: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeBool(self) }
}

extension Int64: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeInt(self) }
}

extension Int32: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeInt(Int64(self)) }
}

extension Int: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeInt(Int64(self)) }
}

extension Double: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeDouble(self) }
}

extension Data: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeString(base64EncodedString()) }
}

extension JSONValue: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.writeNull()
        case .bool(let b): writer.writeBool(b)
        case .int(let i): writer.writeInt(i)
        case .double(let d): writer.writeDouble(d)
        case .string(let s): writer.writeString(s)
        case .array(let a): a.write(to: &writer)
        case .object(let o): o.write(to: &writer)
        }
    }
}

extension Time: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeString(description) }
}

extension MicroTime: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeString(description) }
}

extension Quantity: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) { writer.writeString(text) }
}

extension IntOrString: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .int(let i): writer.writeInt(Int64(i))
        case .string(let s): writer.writeString(s)
        }
    }
}

extension WatchEvent: JSONFastEncodable {
    public func write(to writer: inout JSONWriter) {
        writer.append(Array(#"{"type":"#.utf8))
        writer.writeString(type.rawValue)
        writer.append(Array(#","object":"#.utf8))
        if let status { status.write(to: &writer) } else { object.write(to: &writer) }
        writer.append(125)
    }
}
