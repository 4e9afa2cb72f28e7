/// One label requirement. This is the single place where label matching is decided: structured
/// selectors, `?labelSelector=` strings and node selector terms all evaluate through it.
public struct LabelRequirement: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    public let key: String
    public let `operator`: Operator
    public let values: [String]

    init(key: String, operator op: Operator, values: [String]) {
        self.key = key
        self.operator = op
        self.values = values
    }

    /// A checked requirement: the key must be a valid label key, the values valid label values,
    /// and the number of values must fit the operator.
    public static func make(key: String, operator op: Operator, values: [String]) throws(SelectorError) -> Self {
        if let problem = Validation.labelKey(key).first { throw SelectorError("key: Invalid value: \"\(key)\": \(problem)") }
        switch op {
        case .in, .notIn:
            if values.isEmpty { throw SelectorError("for 'in', 'notin' operators, values set can't be empty") }
        case .equals, .notEquals:
            if values.count != 1 { throw SelectorError("exact-match compatibility requires one single value") }
        case .exists, .doesNotExist:
            if !values.isEmpty { throw SelectorError("values set must be empty for exists and does not exist") }
        case .greaterThan, .lessThan:
            if values.count != 1 || Int64(values[0]) == nil {
                throw SelectorError("for 'Gt', 'Lt' operators, exactly one integer value is required")
            }
        }
        for value in values {
            if let problem = Validation.labelValue(value).first {
                throw SelectorError("values[0][\(key)]: Invalid value: \"\(value)\": \(problem)")
            }
        }
        return Self(key: key, operator: op, values: values)
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch self.operator {
        case .equals, .in: return value.map(values.contains) ?? false
        case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        case .greaterThan, .lessThan:
            guard let value, let have = Int64(value), let want = Int64(values[0]) else { return false }
            return self.operator == .greaterThan ? have > want : have < want
        }
    }

    public var description: String {
        switch self.operator {
        case .equals, .notEquals: return key + self.operator.rawValue + values[0]
        case .in, .notIn: return "\(key) \(self.operator.rawValue) (\(values.joined(separator: ",")))"
        case .exists: return key
        case .doesNotExist: return "!" + key
        case .greaterThan: return key + ">" + values[0]
        case .lessThan: return key + "<" + values[0]
        }
    }
}

/// A parsed label selector: requirements ANDed together. Empty matches everything.
public struct LabelRequirements: Sendable, Hashable, CustomStringConvertible {
    public var requirements: [LabelRequirement]

    public init(_ requirements: [LabelRequirement] = []) { self.requirements = requirements }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        for requirement in requirements where !requirement.matches(labels) { return false }
        return true
    }

    /// The `?labelSelector=` form, e.g. `app=web,tier in (a,b)`.
    public var description: String { requirements.map(\.description).joined(separator: ",") }
}
