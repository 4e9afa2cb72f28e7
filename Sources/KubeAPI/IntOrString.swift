/// `intstr.IntOrString`: a Service targetPort (`8080` or `"http"`), a rolling-update surge (`"25%"`).
public enum IntOrString: Codable, Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Numbers first: most targetPorts are numbers, and a wrong guess costs a thrown error.
        if let i = try? c.decode(Int32.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .string(let s): try c.encode(s)
        }
    }

    public var intValue: Int32? { if case .int(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .string(let s): return s
        }
    }

    /// Resolves an absolute value or a percentage (`"25%"`) of `total`, rounding up or down.
    public func scaled(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let v): return Int(v)
        case .string(let s):
            guard s.hasSuffix("%"), let pct = Int(s.dropLast()) else { return Int(s) }
            let (q, r) = (pct * total).quotientAndRemainder(dividingBy: 100)
            return roundUp && r != 0 ? q + 1 : q
        }
    }
}
