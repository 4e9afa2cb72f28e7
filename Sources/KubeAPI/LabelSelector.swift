/// `metav1.LabelSelector`: `matchLabels` ANDed with `matchExpressions`.
///
/// An empty selector matches every object. "No selector" (nil) is the caller's business:
/// a Service without a selector selects nothing, a NetworkPolicy `podSelector: {}` selects all.
public struct LabelSelector: FieldCodable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    public static let fields: FieldTable<LabelSelector> = [
        .field("matchLabels", \.matchLabels), .field("matchExpressions", \.matchExpressions),
    ]

    /// True when the selector has no requirement, and so matches everything.
    public var isEmpty: Bool { (matchLabels?.isEmpty ?? true) && (matchExpressions?.isEmpty ?? true) }

    /// The selector as requirements, or an error for an invalid operator or value list
    /// (`In`/`NotIn` need values, `Exists`/`DoesNotExist` take none).
    public func requirements() throws(SelectorError) -> LabelRequirements {
        var result: [LabelRequirement] = []
        for key in (matchLabels ?? [:]).keys.sorted() {
            result.append(LabelRequirement(key: key, operator: .equals, values: [matchLabels![key]!]))
        }
        for expression in matchExpressions ?? [] {
            let op: LabelRequirement.Operator
            switch expression.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default:
                throw SelectorError("\"\(expression.operator)\" is not a valid label selector operator")
            }
            result.append(try LabelRequirement.make(key: expression.key, operator: op, values: expression.values ?? []))
        }
        return LabelRequirements(result)
    }

    /// Whether `labels` satisfy the selector. An invalid selector matches nothing, as in Kubernetes.
    public func matches(_ labels: [String: String]?) -> Bool {
        // Fast path for the common matchLabels-only selector (Services, ReplicaSets).
        if matchExpressions?.isEmpty ?? true {
            guard let matchLabels else { return true }
            for (k, v) in matchLabels where labels?[k] != v { return false }
            return true
        }
        guard let selector = try? requirements() else { return false }
        return selector.matches(labels ?? [:])
    }
}

/// One `matchExpressions` entry: `{key, operator: In|NotIn|Exists|DoesNotExist, values}`.
public struct LabelSelectorRequirement: FieldCodable {
    public var key = ""
    public var `operator` = ""
    public var values: [String]?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public init(key: String, operator op: String, values: [String]? = nil) {
        self.key = key
        self.operator = op
        self.values = values
    }

    public static let fields: FieldTable<LabelSelectorRequirement> = [
        .field("key", \.key), .field("operator", \.operator), .field("values", \.values),
    ]
}

/// A bad selector, with a message in Kubernetes' words.
public struct SelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
