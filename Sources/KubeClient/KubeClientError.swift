import KubeAPI

/// Everything the client can fail with.
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    /// The configuration is unusable; the message names the file and field.
    case config(String)
    /// The API server answered with an error `Status` (its `code` is the HTTP status).
    case api(Status)
    /// The connection failed or broke (refused, TLS verification, closed mid-response).
    case transport(String)
    /// A response body could not be decoded as the expected kind.
    case decoding(String)
    /// The client was shut down.
    case shutdown

    /// The API `Status`, when the server answered with one.
    public var status: Status? { if case .api(let s) = self { return s } else { return nil } }
    /// The HTTP status code of an API error.
    public var code: Int? { status?.code.map(Int.init) }
    /// The `reason` of an API error (`NotFound`, `Conflict`, `Expired`, ...).
    public var reason: String? { status?.reason }

    public var isNotFound: Bool { code == 404 }
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    /// 410 Gone: the requested resourceVersion is older than the server's history.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }

    public var description: String {
        switch self {
        case .config(let m): return "kubeconfig: \(m)"
        case .api(let s): return "API error \(s.code.map(String.init) ?? "?") \(s.reason ?? ""): \(s.message ?? "")"
        case .transport(let m): return "transport: \(m)"
        case .decoding(let m): return "decoding: \(m)"
        case .shutdown: return "client shut down"
        }
    }
}
