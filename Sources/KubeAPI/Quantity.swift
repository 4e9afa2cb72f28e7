/// `resource.Quantity`: `100m`, `1Gi`, `2`, `1.5`, `1e3`, `500M`.
///
/// The value is held exactly as whole units plus nanounits, which covers everything a scheduler
/// compares (CPU in millicores, memory in bytes). The text is kept as written and encoded back
/// verbatim; `canonical` gives Kubernetes' canonical form. Equality and order are by value,
/// so `1Gi == 1024Mi` and `1 == 1000m`.
public struct Quantity: Codable, Sendable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public enum Format: Sendable, Hashable { case decimalSI, binarySI, decimalExponent }

    /// Whole units (floor of the value).
    public private(set) var whole: Int64
    /// Nanounits beyond `whole`, in 0..<1_000_000_000.
    public private(set) var nanos: Int64
    public private(set) var format: Format
    /// The text as it was written or decoded.
    public let text: String

    public init(stringLiteral value: String) {
        guard let q = Quantity(parsing: value) else { fatalError("invalid quantity literal \(value)") }
        self = q
    }

    /// A quantity of whole units (`2` CPUs, `1073741824` bytes).
    public init(_ value: Int64, format: Format = .decimalSI) {
        self = Quantity(whole: value, nanos: 0, format: format)
    }

    /// A quantity of thousandths (`milliValue: 250` is `250m`).
    public init(milliValue: Int64) {
        let (w, r) = milliValue.quotientAndRemainder(dividingBy: 1000)
        self = r < 0 ? Quantity(whole: w - 1, nanos: (r + 1000) * 1_000_000, format: .decimalSI)
                     : Quantity(whole: w, nanos: r * 1_000_000, format: .decimalSI)
    }

    private init(whole: Int64, nanos: Int64, format: Format) {
        self.whole = whole
        self.nanos = nanos
        self.format = format
        text = QuantityText(whole: whole, nanos: nanos, format: format).render()
    }

    /// Parses the Kubernetes quantity grammar; nil when the text is not a quantity or is out of range.
    public init?(parsing text: String) {
        guard let (w, n, f) = QuantityText.parse(text) else { return nil }
        whole = w
        nanos = n
        format = f
        self.text = text
    }

    /// The value in thousandths, rounded up (`milliValue` of `1.0001m` is 2).
    public var milliValue: Int64 { whole * 1000 + (nanos + 999_999) / 1_000_000 }
    /// The value rounded up to a whole unit.
    public var value: Int64 { nanos == 0 ? whole : whole + 1 }
    public var isZero: Bool { whole == 0 && nanos == 0 }

    /// Kubernetes' canonical text: the largest suffix of the same format that keeps the value whole
    /// (`1024Mi` -> `1Gi`, `0.1` -> `100m`, `1.5Gi` -> `1536Mi`).
    public var canonical: String {
        QuantityText(whole: whole, nanos: nanos, format: format).render()
    }

    public var description: String { text }

    public static func == (a: Quantity, b: Quantity) -> Bool { a.whole == b.whole && a.nanos == b.nanos }
    public func hash(into h: inout Hasher) {
        h.combine(whole)
        h.combine(nanos)
    }
    public static func < (a: Quantity, b: Quantity) -> Bool { (a.whole, a.nanos) < (b.whole, b.nanos) }

    public static func + (a: Quantity, b: Quantity) -> Quantity {
        var n = a.nanos + b.nanos
        var w = a.whole + b.whole
        if n >= 1_000_000_000 { n -= 1_000_000_000; w += 1 }
        return Quantity(whole: w, nanos: n, format: a.isZero ? b.format : a.format)
    }

    public static func - (a: Quantity, b: Quantity) -> Quantity {
        var n = a.nanos - b.nanos
        var w = a.whole - b.whole
        if n < 0 { n += 1_000_000_000; w -= 1 }
        return Quantity(whole: w, nanos: n, format: a.format)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text: String
        if let s = try? c.decode(String.self) { text = s } else if let i = try? c.decode(Int64.self) { text = String(i) }
        else { text = String(try c.decode(Double.self)) }
        guard let q = Quantity(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': \"\(text)\""))
        }
        self = q
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

/// Parsing and rendering of quantity text.
struct QuantityText {
    var whole: Int64
    var nanos: Int64
    var format: Quantity.Format

    private static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]
    private static let binarySuffixes: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]

    static func parse(_ text: String) -> (Int64, Int64, Quantity.Format)? {
        var chars = Substring(text)
        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars = chars.dropFirst()
        }
        let numberEnd = chars.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? chars.endIndex
        let number = chars[..<numberEnd]
        let suffix = String(chars[numberEnd...])
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, number != "." else { return nil }
        var digits = String(parts[0])
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        digits += fraction
        var exponent10 = -fraction.count
        var binaryShift = 0
        var format = Quantity.Format.decimalSI
        if let e = decimalSuffixes[suffix] {
            exponent10 += e
        } else if let b = binarySuffixes[suffix] {
            binaryShift = b
            format = .binarySI
        } else if let first = suffix.first, first == "e" || first == "E", let e = Int(suffix.dropFirst()) {
            exponent10 += e
            format = .decimalExponent
        } else {
            return nil
        }
        // Drop leading zeros so the significand fits; keep at most 18 digits (exact).
        digits = String(digits.drop { $0 == "0" })
        if digits.isEmpty { return (0, 0, format) }
        while digits.count > 18 {
            guard digits.last == "0" else { return nil }
            digits.removeLast()
            exponent10 += 1
        }
        guard var significand = Int64(digits) else { return nil }
        // value = significand * 10^exponent10 * 2^binaryShift, as whole + nanos.
        for _ in 0..<binaryShift {
            let (v, o) = significand.multipliedReportingOverflow(by: 2)
            guard !o else { return nil }
            significand = v
        }
        var whole: Int64
        var nanos: Int64
        if exponent10 >= 0 {
            whole = significand
            for _ in 0..<exponent10 {
                let (v, o) = whole.multipliedReportingOverflow(by: 10)
                guard !o else { return nil }
                whole = v
            }
            nanos = 0
        } else {
            var divisor: Int64 = 1
            for _ in 0..<min(-exponent10, 18) { divisor *= 10 }
            if -exponent10 > 18 { return (negative ? -1 : 0, negative ? 999_999_999 : 1, format) }
            whole = significand / divisor
            let remainder = significand % divisor
            // Nanos, rounded up as Kubernetes does when precision is lost.
            if -exponent10 <= 9 {
                var scale: Int64 = 1
                for _ in 0..<(9 + exponent10) { scale *= 10 }
                nanos = remainder * scale
            } else {
                var scale: Int64 = 1
                for _ in 0..<(-exponent10 - 9) { scale *= 10 }
                nanos = (remainder + scale - 1) / scale
            }
            if nanos == 1_000_000_000 { whole += 1; nanos = 0 }
        }
        if negative && (whole != 0 || nanos != 0) {
            whole = -whole
            if nanos != 0 { whole -= 1; nanos = 1_000_000_000 - nanos }
        }
        return (whole, nanos, format)
    }

    func render() -> String {
        var negative = false
        var w = whole, n = nanos
        if w < 0 {
            negative = true
            if n != 0 { w += 1; n = 1_000_000_000 - n }
            w = -w
        }
        let sign = negative ? "-" : ""
        if w == 0 && n == 0 { return "0" }
        if format == .binarySI && n == 0 {
            var shift = 0
            while shift < 60, w % 1024 == 0, w != 0 {
                w /= 1024
                shift += 10
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][shift / 10]
            return sign + String(w) + suffix
        }
        // Decimal: value = w + n/1e9 expressed as integer * 10^(3k).
        var exponent = 0
        var mantissa: Int64
        if n != 0 {
            mantissa = n
            exponent = -9
            while mantissa % 1000 == 0 { mantissa /= 1000; exponent += 3 }
            var scale: Int64 = 1
            for _ in 0..<(-exponent) { scale *= 10 }
            mantissa += w * scale
        } else {
            mantissa = w
            while mantissa % 1000 == 0, exponent < 18 { mantissa /= 1000; exponent += 3 }
        }
        if format == .decimalExponent {
            return sign + String(mantissa) + (exponent == 0 ? "" : "e\(exponent)")
        }
        let suffix = [-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"][exponent]!
        return sign + String(mantissa) + suffix
    }
}
