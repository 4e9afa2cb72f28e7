import KubeAPI

/// Who made a request, as kube-apiserver's `user.Info` has it.
public struct UserInfo: Sendable, Hashable {
    public var name: String
    public var uid: String
    public var groups: [String]
    public init(name: String, uid: String = "", groups: [String]) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }

    /// A caller without credentials; only the public-info paths admit it.
    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
    /// The group every authenticated user is in (kube-apiserver adds it to every identity).
    public static let authenticatedGroup = "system:authenticated"
    /// kube-apiserver's superuser group: authorized for everything, whatever RBAC says.
    public static let mastersGroup = "system:masters"

    /// This user with `system:authenticated` added, as kube-apiserver's group adder does.
    public var authenticated: UserInfo {
        var user = self
        if !user.groups.contains(Self.authenticatedGroup) { user.groups.append(Self.authenticatedGroup) }
        return user
    }
}

/// Step 1 of the request pipeline: identify the caller, or nil for 401 Unauthorized.
public protocol Authenticator: Sendable {
    func authenticate(_ request: APIRequest) -> UserInfo?
}

/// What an authorizer answers, with a reason kube-apiserver would show (may be empty).
public enum AuthorizationDecision: Sendable, Equatable {
    case allow(String)
    case deny(String)

    public var allowed: Bool { if case .allow = self { true } else { false } }
    public var reason: String { switch self { case .allow(let r), .deny(let r): r } }
}

/// Step 2 of the request pipeline: allow, or deny (403 Forbidden).
public protocol Authorizer: Sendable {
    func authorize(_ attributes: RequestAttributes) -> AuthorizationDecision
}

/// NOT SECURE: admits every request as `system:anonymous` with every right. Only for tests that
/// exercise handlers without access control, and only by explicit opt-in.
public struct InsecureAdmitAll: Authenticator, Authorizer {
    public init() {}
    public func authenticate(_ request: APIRequest) -> UserInfo? { .anonymous }
    public func authorize(_ attributes: RequestAttributes) -> AuthorizationDecision { .allow("") }
}
