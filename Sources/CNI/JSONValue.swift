import FoundationEssentials

/// Any JSON value, for passing parts of a configuration through unchanged (`ipam`, `args`,
/// `runtimeConfig`) and for the runtime side building per-plugin configurations.
///
/// Numbers are held as `Double`, as JSON itself does not distinguish integers.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The dictionary of an object, or nil.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The text of a string, or nil.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The value of a boolean, or nil.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The value of a number, or nil.
    public var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
    /// The value of a number that is a whole number representable as `Int`, or nil.
    public var intValue: Int? {
        guard case .number(let n) = self, n.rounded() == n, abs(n) < 9.0e15 else { return nil }
        return Int(n)
    }

    /// `object[key]` for objects; nil for any other value or a missing key.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The JSON type name used in error messages ("string", "object", …).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Parses JSON text. Fails with code 6 (decode failure) on malformed JSON.
    public init(parsing bytes: some Collection<UInt8>) throws(CNIError) {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw CNIError(CNIError.decodeFailure, "invalid JSON", details: Self.describe(error))
        }
    }

    /// Compact JSON text with keys sorted (stable output for goldens and caches).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail except for non-finite numbers, which are written as null.
        return (try? Array(encoder.encode(self))) ?? Array("null".utf8)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): c.debugDescription + underlying(c)
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "\(path(c.codingPath)): \(c.debugDescription)"
        case DecodingError.keyNotFound(let key, let c):
            "\(path(c.codingPath + [key])): missing"
        default: "\(error)"
        }
    }

    private static func underlying(_ c: DecodingError.Context) -> String {
        c.underlyingError.map { ": \($0)" } ?? ""
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): if n.isFinite { try c.encode(n) } else { try c.encodeNil() }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
