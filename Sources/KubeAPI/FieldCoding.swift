import FoundationEssentials

/// A JSON object key that can be any string: the coding key of every Kubernetes type here.
public struct JSONKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}

/// Fields a newer server sent that this version of the model does not know, kept verbatim.
public typealias UnknownFields = [String: JSONValue]

/// A Kubernetes JSON struct coded through a field table, so that unknown keys survive.
///
/// Conformers list their fields once, in the order Kubernetes writes them:
///
///     static let fields: FieldTable<ServicePort> = [
///         .field("name", \.name), .field("port", \.port), ...
///     ]
///
/// Decoding walks the keys present in the JSON object once: a known key is decoded into its
/// property through a key path, any other key is kept in `unknownFields` as a `JSONValue`.
/// Encoding writes the known fields in table order (optional properties only when non-nil),
/// then the unknown ones, so decode -> encode gives back the same JSON modulo key order.
/// An explicit `null` for a known field is kept in `unknownFields` too, and written back
/// unless the property has been set since.
///
/// The same table drives two codecs: `Codable` (any `Decoder`/`Encoder`, e.g. `JSONDecoder`) and
/// the fast `KubeJSON.decode`/`encode`, which work on bytes directly and are what daemons and
/// the API server should use. Tests hold the two to the same results.
public protocol FieldCodable: Codable, Sendable, Equatable, JSONFastDecodable, JSONFastEncodable {
    /// An empty value; decoding starts from it and fills in what the JSON holds.
    init()
    /// Keys the model does not know, with their values.
    var unknownFields: UnknownFields { get set }
    /// The known fields, in encoding order.
    static var fields: FieldTable<Self> { get }
}

extension FieldCodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: JSONKey.self)
        let table = Self.fields
        for key in container.allKeys {
            if let field = table.byName[key.stringValue] {
                // An explicit `null` (kube-apiserver writes `"lastProbeTime": null`) is kept
                // so that it is written back; the property stays nil.
                if try field.decode(&self, container, key) == .null {
                    unknownFields[key.stringValue] = .null
                }
            } else {
                unknownFields[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        for field in Self.fields.ordered {
            try field.encode(self, &container)
        }
        if !unknownFields.isEmpty {
            let table = Self.fields
            for key in unknownFields.keys.sorted() {
                // A kept `null` of a known field that has since been set was already written.
                if let field = table.byName[key], field.isPresent(self) { continue }
                try container.encode(unknownFields[key]!, forKey: JSONKey(key))
            }
        }
    }
}

/// One JSON field of a `FieldCodable` type: its key and how to move it in and out of a property.
public struct CodingField<Root>: @unchecked Sendable {
    // @unchecked: the closures only capture a key path literal and a string, both immutable.
    public let name: String
    let utf8Name: [UInt8]
    /// Decodes the key into the property; says whether the JSON held `null` there.
    let decode: (inout Root, KeyedDecodingContainer<JSONKey>, JSONKey) throws -> Decoded
    let encode: (Root, inout KeyedEncodingContainer<JSONKey>) throws -> Void
    let isPresent: (Root) -> Bool
    /// The fast path: reads the (non-null) value from a `JSONReader` into the property.
    let read: (inout Root, inout JSONReader) throws -> Void
    /// The fast path: writes `,"name":value` (no comma for the first member) unless nil.
    let write: (Root, inout JSONWriter, inout Bool) -> Void

    /// An optional field: JSON `null` or absence decode to nil, and nil is not written.
    public static func field<T: Codable & JSONFastCodable>(_ name: String, _ path: WritableKeyPath<Root, T?>) -> Self {
        let key = JSONKey(name)
        let prefix = JSONWriter.memberPrefix(name)
        return Self(
            name: name, utf8Name: Array(name.utf8),
            decode: { root, c, k in
                let value = try c.decodeIfPresent(T.self, forKey: k)
                root[keyPath: path] = value
                return value == nil ? .null : .value
            },
            encode: { root, c in try c.encodeIfPresent(root[keyPath: path], forKey: key) },
            isPresent: { root in root[keyPath: path] != nil },
            read: { root, reader in root[keyPath: path] = try T.read(from: &reader) },
            write: { root, writer, first in
                guard let value = root[keyPath: path] else { return }
                if !first { writer.append(44) }
                first = false
                writer.append(prefix)
                value.write(to: &writer)
            })
    }

    /// A required field: always written; absent in the JSON leaves the default of `init()`.
    public static func field<T: Codable & JSONFastCodable>(_ name: String, _ path: WritableKeyPath<Root, T>) -> Self {
        let key = JSONKey(name)
        let prefix = JSONWriter.memberPrefix(name)
        return Self(
            name: name, utf8Name: Array(name.utf8),
            decode: { root, c, k in
                guard let value = try c.decodeIfPresent(T.self, forKey: k) else { return .null }
                root[keyPath: path] = value
                return .value
            },
            encode: { root, c in try c.encode(root[keyPath: path], forKey: key) },
            isPresent: { _ in true },
            read: { root, reader in root[keyPath: path] = try T.read(from: &reader) },
            write: { root, writer, first in
                if !first { writer.append(44) }
                first = false
                writer.append(prefix)
                root[keyPath: path].write(to: &writer)
            })
    }
}

/// What decoding one present key found.
enum Decoded { case value, null }

/// The fields of a `FieldCodable` type, indexed by JSON key.
public struct FieldTable<Root>: ExpressibleByArrayLiteral, Sendable {
    public let ordered: [CodingField<Root>]
    let byName: [String: CodingField<Root>]

    public init(_ fields: [CodingField<Root>]) {
        ordered = fields
        byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public init(arrayLiteral elements: CodingField<Root>...) { self.init(elements) }
}
