/// A field selector (`?fieldSelector=`): `metadata.name=x,spec.nodeName!=node-1`.
/// Supports `=`, `==` and `!=` as kube-apiserver does.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var negated: Bool
        public var value: String
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// Parses `field=value` terms separated by commas; `\,` `\=` `\\` escape in values.
    public init(parsing text: String) throws(SelectorError) {
        var result: [Requirement] = []
        for term in Self.split(text, on: ",") where !term.isEmpty {
            guard let parsed = Self.splitTerm(term) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            var unescaped = ""
            var escaping = false
            for c in parsed.value {
                if escaping { unescaped.append(c); escaping = false } else if c == "\\" { escaping = true } else { unescaped.append(c) }
            }
            if parsed.field.isEmpty { throw SelectorError("invalid selector: '\(text)'; field name is empty") }
            result.append(Requirement(field: parsed.field, negated: parsed.negated, value: unescaped))
        }
        requirements = result
    }

    /// `field!=value`, `field==value` or `field=value`, split at the first operator.
    private static func splitTerm(_ term: String) -> Requirement? {
        let chars = Array(term)
        for i in chars.indices {
            if chars[i] == "!", i + 1 < chars.count, chars[i + 1] == "=" {
                return Requirement(field: String(chars[..<i]), negated: true, value: String(chars[(i + 2)...]))
            }
            if chars[i] == "=" {
                let skip = i + 1 < chars.count && chars[i + 1] == "=" ? 2 : 1
                return Requirement(field: String(chars[..<i]), negated: false, value: String(chars[(i + skip)...]))
            }
        }
        return nil
    }

    private static func split(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = [], current = "", escaping = false
        for c in text {
            if escaping { current.append(c); escaping = false; continue }
            if c == "\\" { current.append(c); escaping = true; continue }
            if c == separator { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        return parts
    }

    /// Fields named by the selector that `fieldValue` does not know, so the server can refuse them
    /// (`field label not supported: status.foo`).
    public func unsupportedFields(_ supported: Set<String>) -> [String] {
        requirements.map(\.field).filter { !supported.contains($0) }
    }

    /// Whether the object matches; `fieldValue` returns nil for an unsupported field (no match).
    public func matches(_ fieldValue: (String) -> String?) -> Bool {
        for r in requirements {
            guard let have = fieldValue(r.field) else { return false }
            if (have == r.value) == r.negated { return false }
        }
        return true
    }

    public func matches<Object: KubeObject>(_ object: Object) -> Bool { matches(object.fieldValue) }

    public var description: String {
        requirements.map { "\($0.field)\($0.negated ? "!=" : "=")\($0.value)" }.joined(separator: ",")
    }
}
