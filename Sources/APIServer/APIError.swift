import KubeAPI
import Store

/// The `Status` failures kube-apiserver returns that `KubeAPI.Status` has no constructor for,
/// and the mapping of `StoreError` onto Status.
extension Status {
    static func badRequest(_ message: String) -> Status {
        Status(code: 400, reason: "BadRequest", message: message)
    }

    static func methodNotAllowed(_ method: String, path: String) -> Status {
        Status(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource (\(method) \(path))")
    }

    /// A path that names no resource: the wording of kube-apiserver's 404 for unknown URLs.
    static func pathNotFound(_ path: String) -> Status {
        Status(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
               details: StatusDetails(name: nil, group: nil, kind: nil, causes: [
                   StatusCause(reason: "UnexpectedServerResponse", message: "404 page not found", field: path)]))
    }

    static func unsupportedMediaType(_ type: String) -> Status {
        Status(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \(type))")
    }

    /// A watch or list from a resourceVersion whose history was compacted.
    static func expired(requested: Revision, compacted: Revision) -> Status {
        Status(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(compacted))")
    }

    static func internalError(_ message: String) -> Status {
        Status(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    static func unauthorized() -> Status { Status(code: 401, reason: "Unauthorized", message: "Unauthorized") }

    static func forbidden(_ message: String) -> Status { Status(code: 403, reason: "Forbidden", message: message) }

    /// The Status for a store failure on `resource`/`name`.
    static func from(_ error: any Error, resource: ResourceInfo, name: String) -> Status {
        if let status = error as? Status { return status }
        guard let storeError = error as? StoreError else { return .internalError("\(error)") }
        switch storeError {
        case .alreadyExists: return .alreadyExists(resource, name: name)
        case .notFound: return .notFound(resource, name: name)
        case .conflict: return .conflict(resource, name: name)
        case .expired(let requested, let compacted): return .expired(requested: requested, compacted: compacted)
        case .invalidKey(let key): return .badRequest("invalid object key \(key)")
        case .closed, .sqlite, .corrupt: return .internalError(storeError.description)
        case .unavailable: return Status(code: 503, reason: "ServiceUnavailable", message: storeError.description)
        }
    }
}
