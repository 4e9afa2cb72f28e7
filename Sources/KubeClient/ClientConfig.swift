import Foundation
import KubeAPI

/// Where and how to reach one API server: its URL, the CA to verify it with, and credentials.
///
/// Made from a kubeconfig (`init(kubeconfig:context:)`), from a pod's service account
/// (`inCluster()`), or with `resolve(...)`, which picks like kubectl and client-go do.
public struct ClientConfig: Sendable, Equatable {
    /// `https://host:port` (a path prefix is allowed).
    public var server: String
    /// PEM of the CA bundle that signed the server's certificate; nil uses no custom roots
    /// (the system's trust store).
    public var certificateAuthority: [UInt8]?
    /// NOT SECURE: accept any server certificate.
    public var insecureSkipTLSVerify = false
    /// The name to verify the server's certificate against, when it differs from the URL host.
    public var tlsServerName: String?
    /// A bearer token sent with every request.
    public var bearerToken: String?
    /// A file holding the bearer token, re-read as it changes (bound service-account tokens rotate).
    /// Takes precedence over `bearerToken`.
    public var bearerTokenFile: String?
    /// PEM client certificate chain and key for TLS client authentication.
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    /// The namespace of the context (or the pod's), "default" when none is set.
    public var namespace = "default"
    public var userAgent = "trellis/0.1"
    /// How long a request may take (a watch: until its response starts); nil waits forever.
    public var requestTimeout: Duration? = .seconds(60)
    /// Largest number of idle keep-alive connections kept per client.
    public var maxIdleConnections = 8

    public init(server: String) { self.server = server }

    /// The server URL split into parts.
    public func endpoint() throws(KubeClientError) -> ServerEndpoint { try ServerEndpoint(parsing: server) }
}

/// A parsed server URL.
public struct ServerEndpoint: Sendable, Equatable {
    public var tls: Bool
    public var host: String
    public var port: Int
    /// A path prefix ("" or `/prefix`) put before every request path.
    public var pathPrefix: String

    public init(parsing url: String) throws(KubeClientError) {
        var rest = Substring(url)
        if rest.hasPrefix("https://") { tls = true; rest = rest.dropFirst(8) }
        else if rest.hasPrefix("http://") { tls = false; rest = rest.dropFirst(7) }
        else if !rest.contains("://") { tls = true }  // kubectl accepts a bare host:port
        else { throw .config("server \"\(url)\": only http and https URLs are supported") }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        pathPrefix = path
        var hostPart = Substring(authority)
        var portText: Substring?
        if hostPart.first == "[" {
            guard let close = hostPart.firstIndex(of: "]") else { throw .config("server \"\(url)\": unterminated IPv6 address") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw .config("server \"\(url)\": bad host")
            }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portText = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw .config("server \"\(url)\": no host") }
        host = String(hostPart)
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw .config("server \"\(url)\": bad port") }
            port = p
        } else {
            port = tls ? 443 : 80
        }
    }

    /// `host:port` as a Host header, bracketing IPv6.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return (tls && port == 443) || (!tls && port == 80) ? h : "\(h):\(port)"
    }
}
