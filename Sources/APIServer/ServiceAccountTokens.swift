import Foundation
import KubeAPI
import Store

/// The token index for legacy ServiceAccount tokens: Secrets of type
/// `kubernetes.io/service-account-token` whose `data.token` is an opaque token, by token, and the
/// ServiceAccounts that exist. Kept current by a `StoreMirror` on the secrets and serviceaccounts
/// prefixes. (Signed JWT tokens, as TokenRequest issues them, need crypto: not in this slice.)
public struct ServiceAccountTokens: Sendable, Equatable {
    public struct Account: Sendable, Hashable {
        public var namespace: String
        public var name: String
        /// The Secret's `kubernetes.io/service-account.uid` annotation, when set.
        public var uid: String?
    }

    public static let secretType = "kubernetes.io/service-account-token"
    public static let nameAnnotation = "kubernetes.io/service-account.name"
    public static let uidAnnotation = "kubernetes.io/service-account.uid"

    public static let secretsPrefix = RegistryKey.prefix(resource: Secret.resource.qualifiedResource)
    public static let accountsPrefix = RegistryKey.prefix(resource: ServiceAccount.resource.qualifiedResource)

    var tokens: [BearerToken: Account] = [:]
    /// Secret key -> its token, to drop the token when the Secret changes or goes.
    var tokenOfSecret: [String: BearerToken] = [:]
    /// "namespace/name" -> uid of each ServiceAccount that exists.
    var accounts: [String: String] = [:]

    public init() {}

    /// The identity of a token, if a Secret holds it and its ServiceAccount exists (with the
    /// Secret's uid annotation, when set, naming that ServiceAccount's uid).
    public func user(for token: BearerToken) -> UserInfo? {
        guard let account = tokens[token], let uid = accounts["\(account.namespace)/\(account.name)"] else { return nil }
        if let expected = account.uid, !expected.isEmpty, expected != uid { return nil }
        return UserInfo(name: "system:serviceaccount:\(account.namespace):\(account.name)", uid: uid,
                        groups: ["system:serviceaccounts", "system:serviceaccounts:\(account.namespace)", UserInfo.authenticatedGroup])
    }
}

extension ServiceAccountTokens: MirrorState {
    public mutating func apply(key: String, value: [UInt8]?) {
        if key.hasPrefix(Self.secretsPrefix) {
            if let old = tokenOfSecret.removeValue(forKey: key) { tokens[old] = nil }
            guard let value, let secret = try? KubeJSON.decode(Secret.self, from: Data(value)),
                  secret.type == Self.secretType,
                  let name = secret.metadata.annotations?[Self.nameAnnotation], !name.isEmpty,
                  let namespace = secret.metadata.namespace,
                  let raw = secret.data?["token"], !raw.isEmpty else { return }
            let token = BearerToken(String(decoding: raw, as: UTF8.self))
            tokens[token] = Account(namespace: namespace, name: name, uid: secret.metadata.annotations?[Self.uidAnnotation])
            tokenOfSecret[key] = token
        } else if key.hasPrefix(Self.accountsPrefix) {
            let id = String(key.dropFirst(Self.accountsPrefix.count))
            guard let value, let account = try? KubeJSON.decode(ServiceAccount.self, from: Data(value)) else {
                accounts[id] = nil
                return
            }
            accounts[id] = account.metadata.uid ?? ""
        }
    }

    public mutating func reset(prefix: String) {
        if prefix == Self.secretsPrefix { tokens = [:]; tokenOfSecret = [:] }
        if prefix == Self.accountsPrefix { accounts = [:] }
    }
}
