/// Name and label syntax checks used by the API server. Each returns the list of problems,
/// empty when valid, worded as Kubernetes words them (apimachinery `validation.Is…`).
public enum Validation {
    static let dns1123LabelMaxLength = 63
    static let dns1123SubdomainMaxLength = 253
    static let qualifiedNameMaxLength = 63
    static let labelValueMaxLength = 63

    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123LabelRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1123SubdomainRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let qualifiedNameRegex = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueRegex = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"

    /// A DNS-1123 label (Namespace, Service names): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63.
    public static func dns1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123LabelMaxLength { errors.append(maxLength(dns1123LabelMaxLength)) }
        if !isLabel(value.utf8) {
            errors.append(regexError(dns1123LabelMessage, dns1123LabelRegex, examples: ["my-name", "123-abc"]))
        }
        return errors
    }

    /// A DNS-1123 subdomain (most object names): dot-separated labels, at most 253.
    public static func dns1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLength(dns1123SubdomainMaxLength)) }
        if !isSubdomain(value) {
            errors.append(regexError(dns1123SubdomainMessage, dns1123SubdomainRegex, examples: ["example.com"]))
        }
        return errors
    }

    /// An IANA service name (a named container or target port): at most 15 lowercase letters,
    /// digits and '-', at least one letter, no leading, trailing or double '-'.
    public static func portName(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 15 { errors.append(maxLength(15)) }
        if !bytes.allSatisfy({ isLowerAlnum($0) || $0 == 45 }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if value.contains("--") { errors.append("must not contain consecutive hyphens") }
        if !bytes.contains(where: { $0 >= 97 && $0 <= 122 }) { errors.append("must contain at least one letter (a-z)") }
        if bytes.first == 45 || bytes.last == 45 { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// A path segment name (RBAC object names, such as `system:discovery`): not `.` or `..`,
    /// and without `/` or `%` (apimachinery `path.IsValidPathSegmentName`).
    public static func pathSegmentName(_ value: String) -> [String] {
        if value == "." || value == ".." { return ["may not be '\(value)'"] }
        var errors: [String] = []
        for forbidden in ["/", "%"] where value.contains(forbidden) { errors.append("may not contain '\(forbidden)'") }
        return errors
    }

    /// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most
    /// 63 characters matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    public static func labelKey(_ value: String) -> [String] { qualifiedName(value) }

    /// A qualified name (label keys, finalizers).
    public static func qualifiedName(_ value: String) -> [String] {
        var errors: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = String(parts[0])
            name = parts[1]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                errors += dns1123Subdomain(prefix).map { "prefix part " + $0 }
            }
        default:
            return [regexError("a qualified name " + qualifiedNameMessage, qualifiedNameRegex,
                               examples: ["MyName", "my.name", "123-abc"])
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.utf8.count > qualifiedNameMaxLength {
            errors.append("name part must be no more than \(qualifiedNameMaxLength) characters")
        }
        if !name.isEmpty && !isQualifiedNamePart(name.utf8) {
            errors.append(regexError("name part " + qualifiedNameMessage, qualifiedNameRegex,
                                     examples: ["MyName", "my.name", "123-abc"]))
        }
        return errors
    }

    /// A label value: empty, or at most 63 characters matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    public static func labelValue(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > labelValueMaxLength { errors.append(maxLength(labelValueMaxLength)) }
        if !value.isEmpty && !isQualifiedNamePart(value.utf8) {
            errors.append(regexError(labelValueMessage, labelValueRegex, examples: ["MyValue", "my_value", "12345"]))
        }
        return errors
    }

    /// Every label of an object: `metadata.labels: Invalid value: "key": ...` style strings.
    public static func labels(_ labels: [String: String], path: String = "metadata.labels") -> [String] {
        var errors: [String] = []
        for key in labels.keys.sorted() {
            errors += labelKey(key).map { "\(path): Invalid value: \"\(key)\": \($0)" }
            errors += labelValue(labels[key]!).map { "\(path): Invalid value: \"\(labels[key]!)\": \($0)" }
        }
        return errors
    }

    // MARK: - Character classes

    private static func maxLength(_ n: Int) -> String { "must be no more than \(n) characters" }

    private static func regexError(_ message: String, _ regex: String, examples: [String]) -> String {
        // Kubernetes joins examples with ",  or " (two spaces), and so do we.
        let e = examples.map { "'\($0)'" }.joined(separator: ",  or ")
        return "\(message) (e.g. \(e), regex used for validation is '\(regex)')"
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 65 && c <= 90) }

    private static func isLabel<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, let last = bytes.reversed().first else { return false }
        return isLowerAlnum(first) && isLowerAlnum(last) && bytes.allSatisfy { isLowerAlnum($0) || $0 == 45 }
    }

    private static func isSubdomain(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.split(separator: 46, omittingEmptySubsequences: false).allSatisfy { isLabel($0) }
    }

    private static func isQualifiedNamePart<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, let last = bytes.reversed().first else { return false }
        return isAlnum(first) && isAlnum(last) && bytes.allSatisfy { isAlnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
