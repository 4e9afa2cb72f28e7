import NetAddr

/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;`, e.g. `IgnoreUnknown=1;K8S_POD_NAME=web-0`.
public struct CNIArgs: Equatable, Sendable, CustomStringConvertible {
    public struct Pair: Equatable, Sendable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) { self.key = key; self.value = value }
    }

    /// The pairs in the order given.
    public var pairs: [Pair]

    public init(_ pairs: [Pair] = []) { self.pairs = pairs }

    /// Parses `K=V;K2=V2`. An empty string is no arguments. Like the reference library, each
    /// pair needs exactly one `=` and a non-empty key; anything else fails with code 4.
    public init(parsing text: String) throws(CNIError) {
        pairs = []
        guard !text.isEmpty else { return }
        for piece in text.split(separator: ";", omittingEmptySubsequences: false) {
            let kv = piece.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw CNIError(CNIError.invalidEnvironment, "CNI_ARGS: invalid pair \"\(piece)\"",
                               details: "expected KEY=VALUE pairs separated by ';', got \"\(text)\"")
            }
            guard !kv[0].contains(where: \.isWhitespace) else {
                throw CNIError(CNIError.invalidEnvironment, "CNI_ARGS: key \"\(kv[0])\" contains whitespace")
            }
            pairs.append(Pair(String(kv[0]), String(kv[1])))
        }
    }

    /// The value of the first pair with `key`.
    public subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }

    /// `IP=…`: comma-separated addresses requested for this attachment (host-local convention).
    /// Fails with code 4 for an unparseable address.
    public func ips() throws(CNIError) -> [IPAddress] {
        guard let text = self["IP"], !text.isEmpty else { return [] }
        var out: [IPAddress] = []
        for part in text.split(separator: ",") {
            let s = part.trimmingSpaces
            guard let a = IPAddress(s) else {
                throw CNIError(CNIError.invalidEnvironment, "CNI_ARGS: IP: invalid address \"\(s)\"")
            }
            out.append(a)
        }
        return out
    }

    /// `K8S_POD_NAMESPACE`, set by Kubernetes runtimes.
    public var podNamespace: String? { self["K8S_POD_NAMESPACE"] }
    /// `K8S_POD_NAME`, set by Kubernetes runtimes.
    public var podName: String? { self["K8S_POD_NAME"] }
    /// `K8S_POD_UID`, set by some Kubernetes runtimes.
    public var podUID: String? { self["K8S_POD_UID"] }

    /// The `K=V;K2=V2` text.
    public var description: String { pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
