import APIServer
import Foundation
import KubeAPI
import Testing

/// Token file parsing, bearer headers and the ServiceAccount token index, without sockets.
@Suite struct AuthenticationTests {
    @Test func tokenFileAsKubeAPIServerReadsIt() throws {
        let file = try TokenFile(parsing: """
            # comment
            t1,alice,uid-1,"dev,ops"
            t2, bob ,uid-2
            ,empty,uid-3
            t1,alice2,uid-4
            """)
        // Go's csv reader with TrimLeadingSpace drops a field's leading spaces only.
        #expect(file.entries.map(\.user) == [UserInfo(name: "bob ", uid: "uid-2", groups: []),
                                             UserInfo(name: "alice2", uid: "uid-4", groups: [])])
        #expect(throws: TokenFileError.self) { try TokenFile(parsing: "t1,alice\n") }
        #expect(throws: TokenFileError.self) { try TokenFile(parsing: "t1,alice,u,\"dev\n") }
        let groups = try TokenFile(parsing: #"t,alice,u,"dev,ops""#).entries[0].user.groups
        #expect(groups == ["dev", "ops"])
        let generated = TokenFile.generatedAdmin()
        #expect(try TokenFile(parsing: generated.text) == generated)
        #expect(generated.adminToken?.bytes.count == 64)
    }

    @Test func bearerHeader() {
        #expect(BearerToken(authorization: "Bearer abc") == BearerToken("abc"))
        #expect(BearerToken(authorization: "bearer abc") == BearerToken("abc"))
        #expect(BearerToken(authorization: "Basic YWxpY2U6cHc=") == nil)
        #expect(BearerToken(authorization: "Bearer ") == nil)
        #expect(BearerToken(authorization: nil) == nil)
        #expect(BearerToken("abc") != BearerToken("abd"))
        #expect("\(BearerToken("secret"))" == "BearerToken(6 bytes)")
    }

    @Test func staticTokensAddAuthenticatedGroup() throws {
        let authenticator = TokenAuthenticator(tokenFile: try TokenFile(parsing: #"t1,alice,u1,"dev""#))
        func user(_ header: String?) -> UserInfo? {
            authenticator.authenticate(APIRequest(method: "GET", path: "/api", headers: header.map { ["authorization": $0] } ?? [:]))
        }
        #expect(user("Bearer t1") == UserInfo(name: "alice", uid: "u1", groups: ["dev", "system:authenticated"]))
        #expect(user("Bearer t2") == nil)
        #expect(user(nil) == nil)
    }

    static func secret(_ namespace: String, _ name: String, account: String, token: String?,
                       type: String = ServiceAccountTokens.secretType) -> [UInt8] {
        var secret = Secret()
        secret.metadata.name = name
        secret.metadata.namespace = namespace
        secret.metadata.annotations = [ServiceAccountTokens.nameAnnotation: account]
        secret.type = type
        if let token { secret.data = ["token": Data(token.utf8)] }
        return Array(try! KubeJSON.encode(secret))
    }

    static func account(_ namespace: String, _ name: String) -> [UInt8] {
        var account = ServiceAccount()
        account.metadata.name = name
        account.metadata.namespace = namespace
        account.metadata.uid = "sa-uid"
        return Array(try! KubeJSON.encode(account))
    }

    @Test func serviceAccountTokenIndex() {
        let secrets = ServiceAccountTokens.secretsPrefix, accounts = ServiceAccountTokens.accountsPrefix
        var index = ServiceAccountTokens()
        index.apply(key: secrets + "x/builder-token", value: Self.secret("x", "builder-token", account: "builder", token: "sa-1"))
        index.apply(key: secrets + "x/opaque", value: Self.secret("x", "opaque", account: "builder", token: "sa-2", type: "Opaque"))
        #expect(index.user(for: BearerToken("sa-1")) == nil)  // the ServiceAccount does not exist yet
        index.apply(key: accounts + "x/builder", value: Self.account("x", "builder"))
        #expect(index.user(for: BearerToken("sa-1")) == UserInfo(
            name: "system:serviceaccount:x:builder", uid: "sa-uid",
            groups: ["system:serviceaccounts", "system:serviceaccounts:x", "system:authenticated"]))
        #expect(index.user(for: BearerToken("sa-2")) == nil)  // not a service-account-token Secret
        // A changed token replaces the old one; a deleted Secret or ServiceAccount revokes it.
        index.apply(key: secrets + "x/builder-token", value: Self.secret("x", "builder-token", account: "builder", token: "sa-3"))
        #expect(index.user(for: BearerToken("sa-1")) == nil)
        #expect(index.user(for: BearerToken("sa-3")) != nil)
        index.apply(key: accounts + "x/builder", value: nil)
        #expect(index.user(for: BearerToken("sa-3")) == nil)
        index.apply(key: accounts + "x/builder", value: Self.account("x", "builder"))
        index.apply(key: secrets + "x/builder-token", value: nil)
        #expect(index.user(for: BearerToken("sa-3")) == nil)
    }
}
