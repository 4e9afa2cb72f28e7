/// A CNI spec version such as `1.1.0`, compared numerically.
///
/// CNI versions are SemVer 2.0 `MAJOR.MINOR.PATCH`; like the reference library, `1` and `1.1`
/// are also read (missing parts are zero). Pre-release suffixes are not used by CNI.
public struct SemanticVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major; self.minor = minor; self.patch = patch
    }

    /// Parses `X`, `X.Y` or `X.Y.Z` with decimal digits only; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(part) else { return nil }
            numbers.append(n)
        }
        while numbers.count < 3 { numbers.append(0) }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (l: Self, r: Self) -> Bool {
        (l.major, l.minor, l.patch) < (r.major, r.minor, r.patch)
    }
}

extension CNIVersion {
    /// Versions whose result carries `ip4`/`ip6` objects.
    static let legacyResultVersions: Set<String> = ["0.1.0", "0.2.0"]
    /// Versions whose `ips` entries carry `"version": "4"|"6"`.
    static let versionedIPResultVersions: Set<String> = ["0.3.0", "0.3.1", "0.4.0"]

    /// First version with CHECK (and prevResult on DEL).
    public static let check = "0.4.0"
    /// First version with STATUS and GC, and the new route/interface result fields.
    public static let statusAndGC = "1.1.0"

    /// Whether `version` is at least `minimum`. Unparseable versions are never at least anything.
    public static func isAtLeast(_ version: String, _ minimum: String) -> Bool {
        guard let v = SemanticVersion(version), let m = SemanticVersion(minimum) else { return false }
        return v >= m
    }

    /// Orders two version strings numerically; nil if either does not parse.
    public static func compare(_ a: String, _ b: String) -> Bool? {
        guard let x = SemanticVersion(a), let y = SemanticVersion(b) else { return nil }
        return x < y
    }

    /// The highest of `candidates` that is also in `supported`, compared numerically.
    public static func highestCommon(_ candidates: [String], _ supported: [String]) -> String? {
        candidates.filter { supported.contains($0) }
            .compactMap { v in SemanticVersion(v).map { (v, $0) } }
            .max { $0.1 < $1.1 }?.0
    }
}
