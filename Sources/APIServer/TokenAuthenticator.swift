/// Bearer-token authentication: the static token file first, then ServiceAccount token Secrets.
/// Every identity gets `system:authenticated`. A request without a token, or with an unknown
/// one, is nil (401).
public struct TokenAuthenticator: Authenticator {
    public let staticTokens: [BearerToken: UserInfo]
    /// The ServiceAccount token index now (from a `StoreMirror`).
    public let serviceAccountTokens: @Sendable () -> ServiceAccountTokens

    public init(tokenFile: TokenFile, serviceAccountTokens: @escaping @Sendable () -> ServiceAccountTokens = { ServiceAccountTokens() }) {
        var table: [BearerToken: UserInfo] = [:]
        for entry in tokenFile.entries { table[entry.token] = entry.user.authenticated }
        staticTokens = table
        self.serviceAccountTokens = serviceAccountTokens
    }

    public func authenticate(_ request: APIRequest) -> UserInfo? {
        guard let token = BearerToken(authorization: request.headers["authorization"]) else { return nil }
        if let user = staticTokens[token] { return user }
        return serviceAccountTokens().user(for: token)
    }
}
