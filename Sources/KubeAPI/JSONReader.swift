import FoundationEssentials

/// A malformed document found by `JSONReader`, with the byte offset.
public struct JSONReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "JSON at byte \(offset): \(message)" }
}

/// A forward-only cursor over JSON text: the fast path under `KubeJSON.decode`.
///
/// It reads values in document order with no intermediate tree, no boxing and no thrown
/// errors for ordinary input, which is what makes a 10,000-Service list cheap to decode.
public struct JSONReader {
    let bytes: [UInt8]
    var index = 0

    public init(_ data: Data) { bytes = [UInt8](data) }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONReadError { JSONReadError(offset: index, message: message) }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next significant byte, not consumed.
    @inline(__always) mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(JSONReadError) {
        guard peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    /// Consumes a `null` if one is next.
    public mutating func consumeNull() -> Bool {
        guard peek() == UInt8(ascii: "n"), index + 4 <= bytes.count, bytes[index + 1] == UInt8(ascii: "u"),
              bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") else { return false }
        index += 4
        return true
    }

    /// Requires the document to be fully consumed.
    public mutating func finish() throws(JSONReadError) {
        if peek() != nil { throw error("unexpected data after the top-level value") }
    }

    // MARK: Objects and arrays

    /// Reads `{`; then call `nextKey` until it returns false.
    public mutating func beginObject() throws(JSONReadError) { try expect(UInt8(ascii: "{")) }

    /// Moves to the next key of the current object and returns the byte range of its (unescaped)
    /// text, or nil at `}`. Keys with escapes are rare; they come back through `escapedKey`.
    mutating func nextKeyRange(first: inout Bool) throws(JSONReadError) -> Range<Int>? {
        guard let b = peek() else { throw error("unterminated object") }
        if b == UInt8(ascii: "}") { index += 1; return nil }
        if !first {
            guard b == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            index += 1
            _ = peek()
        }
        first = false
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
        let start = index + 1
        var i = start
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < bytes.count else { throw error("unterminated key") }
        if bytes[i] == UInt8(ascii: "\\") {
            escapedKey = try readString()
            try expect(UInt8(ascii: ":"))
            return 0..<0
        }
        escapedKey = nil
        index = i + 1
        try expect(UInt8(ascii: ":"))
        return start..<i
    }

    /// Set by `nextKeyRange` when the key had escapes (the returned range is then empty).
    var escapedKey: String?

    /// The next key as a String, or nil at `}`.
    public mutating func nextKey(first: inout Bool) throws(JSONReadError) -> String? {
        guard let range = try nextKeyRange(first: &first) else { return nil }
        return escapedKey ?? String(decoding: bytes[range], as: UTF8.self)
    }

    /// Reads `[`; then call `nextElement` until it returns false.
    public mutating func beginArray() throws(JSONReadError) { try expect(UInt8(ascii: "[")) }

    public mutating func nextElement(first: inout Bool) throws(JSONReadError) -> Bool {
        guard let b = peek() else { throw error("unterminated array") }
        if b == UInt8(ascii: "]") { index += 1; return false }
        if !first {
            guard b == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            index += 1
        }
        first = false
        return true
    }

    // MARK: Scalars

    public mutating func readString() throws(JSONReadError) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            if b < 0x20 { throw error("control character in string") }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func readEscapedString(from start: Int) throws(JSONReadError) -> String {
        var out = [UInt8](bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if b < 0x20 { throw error("control character in string") }
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate")
                    }
                    index += 2
                    let low = try readHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: String(Character(u)).utf8)
            default:
                throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    private mutating func readHex4() throws(JSONReadError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("invalid \\u escape")
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }

    public mutating func readBool() throws(JSONReadError) -> Bool {
        let b = peek()
        if b == UInt8(ascii: "t"), matchLiteral("true") { return true }
        if b == UInt8(ascii: "f"), matchLiteral("false") { return false }
        throw error("expected true or false")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard index + n <= bytes.count else { return false }
        for k in 0..<n where bytes[index + k] != literal.utf8Start[k] { return false }
        index += n
        return true
    }

    /// The text of a JSON number, validated against the JSON grammar; `isInteger` when it has
    /// no fraction or exponent.
    mutating func readNumberText() throws(JSONReadError) -> (range: Range<Int>, isInteger: Bool) {
        _ = peek()
        let start = index
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let intStart = index
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
        guard index > intStart else { throw error("expected a number") }
        if bytes[intStart] == 48, index - intStart > 1 { throw error("leading zero in number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fracStart = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > fracStart else { throw error("expected digits after '.'") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let expStart = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > expStart else { throw error("expected exponent digits") }
        }
        return (start..<index, isInteger)
    }

    public mutating func readInt64() throws(JSONReadError) -> Int64 {
        let (range, isInteger) = try readNumberText()
        guard isInteger else {
            // `80.0` and `8e1` are integers too, as JSONDecoder reads them.
            guard let d = Double(String(decoding: bytes[range], as: UTF8.self)), let v = Int64(exactly: d) else {
                throw JSONReadError(offset: range.lowerBound, message: "expected an integer")
            }
            return v
        }
        var value: Int64 = 0
        var i = range.lowerBound
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        while i < range.upperBound {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(bytes[i] - 48))
                                   : m.addingReportingOverflow(Int64(bytes[i] - 48))
            guard !o1, !o2 else { throw JSONReadError(offset: range.lowerBound, message: "integer out of range") }
            value = a
            i += 1
        }
        return value
    }

    public mutating func readDouble() throws(JSONReadError) -> Double {
        let (range, _) = try readNumberText()
        guard let d = Double(String(decoding: bytes[range], as: UTF8.self)) else {
            throw JSONReadError(offset: range.lowerBound, message: "invalid number")
        }
        return d
    }

    /// Any value, as a tree.
    public mutating func readValue() throws(JSONReadError) -> JSONValue {
        guard let b = peek() else { throw error("unexpected end of input") }
        switch b {
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "{"):
            index += 1
            var object: [String: JSONValue] = [:]
            var first = true
            while let key = try nextKey(first: &first) { object[key] = try readValue() }
            return .object(object)
        case UInt8(ascii: "["):
            index += 1
            var array: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) { array.append(try readValue()) }
            return .array(array)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try readBool())
        case UInt8(ascii: "n"):
            guard consumeNull() else { throw error("invalid literal") }
            return .null
        default:
            // Like JSONDecoder: a number with an integral value that fits Int64 is an integer
            // (`1.0`, `1e3`), anything else a double.
            let save = index
            let (range, isInteger) = try readNumberText()
            if isInteger {
                index = save
                if let i = try? readInt64() { return .int(i) }
                index = range.upperBound
            }
            guard let d = Double(String(decoding: bytes[range], as: UTF8.self)) else { throw error("invalid number") }
            if !isInteger, d.rounded() == d, let i = Int64(exactly: d) { return .int(i) }
            return .double(d)
        }
    }

    /// Key equality without making a String: the common path of field lookup.
    @inline(__always) func keyEquals(_ range: Range<Int>, _ name: [UInt8]) -> Bool {
        guard range.count == name.count else { return false }
        var i = range.lowerBound
        for c in name {
            if bytes[i] != c { return false }
            i += 1
        }
        return true
    }
}
