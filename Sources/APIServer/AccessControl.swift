import KubeAPI

/// Who made a request. Today every request is `system:anonymous` with full rights;
/// the next slice (TLS client certificates, bearer tokens, RBAC) replaces the two
/// admit-all implementations below without touching the handlers.
public struct UserInfo: Sendable, Hashable {
    public var name: String
    public var groups: [String]
    public init(name: String, groups: [String]) { self.name = name; self.groups = groups }
    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
}

/// What an authorizer decides about: the RBAC request attributes.
public struct RequestAttributes: Sendable {
    public var user: UserInfo
    public var verb: Verb
    public var resource: ResourcePath
}

/// Step 1 of the request pipeline: identify the caller, or nil for 401 Unauthorized.
public protocol Authenticator: Sendable {
    func authenticate(_ request: APIRequest) -> UserInfo?
}

/// Step 2 of the request pipeline: nil to allow, or the reason for 403 Forbidden.
public protocol Authorizer: Sendable {
    func deny(_ attributes: RequestAttributes) -> String?
}

/// NOT SECURE: the placeholder of this slice. Admits every request as `system:anonymous`.
public struct AdmitAll: Authenticator, Authorizer {
    public init() {}
    public func authenticate(_ request: APIRequest) -> UserInfo? { .anonymous }
    public func deny(_ attributes: RequestAttributes) -> String? { nil }
}
