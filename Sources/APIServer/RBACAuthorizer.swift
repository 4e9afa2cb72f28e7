/// The RBAC authorizer: evaluates each request against the current `RBACSnapshot` (taken from a
/// `StoreMirror`, so no store read per request).
public struct RBACAuthorizer: Authorizer {
    public let snapshot: @Sendable () -> RBACSnapshot

    public init(snapshot: @escaping @Sendable () -> RBACSnapshot) { self.snapshot = snapshot }

    public func authorize(_ attributes: RequestAttributes) -> AuthorizationDecision {
        snapshot().authorize(attributes)
    }
}
