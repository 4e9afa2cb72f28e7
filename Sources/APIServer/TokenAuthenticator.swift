/// Bearer-token authentication: the static token file first, then ServiceAccount token Secrets;
/// without a token, a client certificate verified against the cluster CA (CN = user, O =
/// groups). Every identity gets `system:authenticated`. A request with neither, or with an
/// unknown token, is nil (401).
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
        guard let token = BearerToken(authorization: request.headers["authorization"]) else {
            return request.clientCertificate?.user
        }
        if let user = staticTokens[token] { return user }
        return serviceAccountTokens().user(for: token)
    }
}
