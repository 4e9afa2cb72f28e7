import Foundation

/// One HTTP request as the handlers see it: no sockets, no NIO types, so that the whole
/// request path can be tested with plain values.
public struct APIRequest: Sendable {
    public var method: String
    /// The path without the query (`/api/v1/namespaces/default/pods`), percent-decoded.
    public var path: String
    /// Query parameters, percent-decoded; a repeated key keeps its first value.
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The identity of a client certificate verified against the cluster CA, if one was presented.
    public var clientCertificate: ClientCertificateIdentity?

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Splits a request target (`/api/v1/pods?watch=1&labelSelector=app%3Dweb`).
    public init(method: String, uri: String, headers: [String: String] = [:], body: [UInt8] = []) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.percentDecode(kv[0])
                if query[key] == nil { query[key] = kv.count > 1 ? Self.percentDecode(kv[1]) : "" }
            }
        }
        self.init(method: method, path: Self.percentDecode(parts.first ?? ""), query: query,
                  headers: headers, body: body)
    }

    /// The media type of the body, without parameters (`application/merge-patch+json`).
    public var contentType: String {
        let raw = headers["content-type"] ?? ""
        return raw.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// A boolean query flag as kube-apiserver reads it (`1`, `true`).
    public func flag(_ name: String) -> Bool {
        guard let value = query[name]?.lowercased() else { return false }
        return value == "1" || value == "true"
    }

    private static func percentDecode<S: StringProtocol>(_ text: S) -> String {
        let plusAsSpace = text.replacingOccurrences(of: "+", with: " ")
        return plusAsSpace.removingPercentEncoding ?? plusAsSpace
    }
}
