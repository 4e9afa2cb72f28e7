import APIServer
import Foundation
import KubeAPI
import Testing
import TestSupport

/// Authentication and RBAC over a real socket: curl for raw statuses, kubectl for the user view.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl"), "needs kubectl"))
struct AccessControlTests {
    static let configMap = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"k":"v"}}"#

    static func roleAndBinding(namespace: String, role: String, verbs: [String], resources: [String], subject: String) -> (String, String) {
        let verbList = verbs.map { "\"\($0)\"" }.joined(separator: ","), resourceList = resources.map { "\"\($0)\"" }.joined(separator: ",")
        return (#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"\#(role)"},"rules":[{"apiGroups":[""],"resources":[\#(resourceList)],"verbs":[\#(verbList)]}]}"#,
                #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"\#(role)"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"\#(role)"},"subjects":[\#(subject)]}"#)
    }

    @Test func unauthenticatedAndForbiddenChangeNothing() async throws {
        try await withServer { s in
            #expect(try await s.curl("POST", "/api/v1/namespaces", body: #"{"metadata":{"name":"x"}}"#).status == 201)
            let collection = "/api/v1/namespaces/x/configmaps"

            // No credentials: 401 Status, nothing stored; the public-info paths stay open.
            let anonymous = try await s.curl("POST", collection, body: Self.configMap, token: "")
            #expect(anonymous.status == 401)
            let status = try JSONValue(text: anonymous.body)
            #expect(status["kind"] == "Status" && status["reason"] == "Unauthorized" && status["code"] == 401)
            #expect(try await s.curl("GET", "/version", token: "").status == 200)
            #expect(try await s.curl("GET", "/healthz", token: "").status == 200)
            #expect(try await s.curl("GET", "/apis", token: "").status == 401)
            #expect(try await s.curl("GET", "/api/v1/nosuch", token: "").status == 401)  // 401 before 404
            // Unknown token: 401, even on /version.
            #expect(try await s.curl("POST", collection, body: Self.configMap, token: "not-a-token").status == 401)
            #expect(try await s.curl("GET", "/version", token: "not-a-token").status == 401)

            // A valid token without rights: 403 in kube-apiserver's words, nothing stored.
            let denied = try await s.curl("POST", collection, body: Self.configMap, token: ServerFixture.bobToken)
            #expect(denied.status == 403)
            let forbidden = try JSONValue(text: denied.body)
            #expect(forbidden["reason"] == "Forbidden")
            #expect(forbidden["message"] == #"configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "x""#)
            #expect(forbidden[path: "details.kind"] == "configmaps")
            #expect(try await s.curl("GET", collection + "/c1").status == 404)
            // Discovery and self-review are open to every authenticated user.
            #expect(try await s.curl("GET", "/api/v1", token: ServerFixture.bobToken).status == 200)

            // The admin grants bob configmaps in x: the same request now succeeds, in x only.
            let (role, binding) = Self.roleAndBinding(namespace: "x", role: "cm-writer", verbs: ["create", "get"], resources: ["configmaps"],
                                                      subject: #"{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}"#)
            #expect(try await s.curl("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/x/roles", body: role).status == 201)
            #expect(try await s.curl("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/x/rolebindings", body: binding).status == 201)
            #expect(try await s.curl("POST", collection, body: Self.configMap, token: ServerFixture.bobToken).status == 201)
            #expect(try await s.curl("GET", collection + "/c1", token: ServerFixture.bobToken).status == 200)
            #expect(try await s.curl("DELETE", collection + "/c1", token: ServerFixture.bobToken).status == 403)
            #expect(try await s.curl("POST", "/api/v1/namespaces/default/configmaps", body: Self.configMap,
                                     token: ServerFixture.bobToken).status == 403)
            // Removing the binding revokes the grant at once (the response waits for the authorizer's view).
            #expect(try await s.curl("DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/x/rolebindings/cm-writer").status == 200)
            #expect(try await s.curl("GET", collection + "/c1", token: ServerFixture.bobToken).status == 403)
        }
    }

    @Test func serviceAccountTokenIsScoped() async throws {
        try await withServer { s in
            #expect(try await s.curl("POST", "/api/v1/namespaces", body: #"{"metadata":{"name":"x"}}"#).status == 201)
            let token = "sa-" + BearerToken.random().text
            let secret = #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"builder-token","annotations":{"kubernetes.io/service-account.name":"builder"}},"data":{"token":"\#(Data(token.utf8).base64EncodedString())"}}"#
            #expect(try await s.curl("POST", "/api/v1/namespaces/x/serviceaccounts", body: #"{"metadata":{"name":"builder"}}"#).status == 201)
            #expect(try await s.curl("POST", "/api/v1/namespaces/x/secrets", body: secret).status == 201)
            let denied = try await s.curl("GET", "/api/v1/namespaces/x/configmaps", token: token)
            #expect(denied.status == 403)
            #expect(try JSONValue(text: denied.body)["message"]
                    == #"configmaps is forbidden: User "system:serviceaccount:x:builder" cannot list resource "configmaps" in API group "" in the namespace "x""#)

            let (role, binding) = Self.roleAndBinding(namespace: "x", role: "cm-reader", verbs: ["list"], resources: ["configmaps"],
                                                      subject: #"{"kind":"ServiceAccount","name":"builder","namespace":"x"}"#)
            #expect(try await s.curl("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/x/roles", body: role).status == 201)
            #expect(try await s.curl("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/x/rolebindings", body: binding).status == 201)
            #expect(try await s.curl("GET", "/api/v1/namespaces/x/configmaps", token: token).status == 200)
            #expect(try await s.curl("GET", "/api/v1/namespaces/default/configmaps", token: token).status == 403)
            #expect(try await s.curl("GET", "/api/v1/namespaces/x/secrets", token: token).status == 403)

            // Deleting the Secret revokes the token.
            #expect(try await s.curl("DELETE", "/api/v1/namespaces/x/secrets/builder-token").status == 200)
            #expect(try await s.curl("GET", "/api/v1/namespaces/x/configmaps", token: token).status == 401)
        }
    }

    @Test func kubectlAuthCanIAndForbidden() async throws {
        try await withServer { s in
            _ = try await s.kubectl(["create", "namespace", "x"])
            let manifest = s.dir.path + "/alice.yaml"
            try """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: alice-view, namespace: x}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
                subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            #expect(try await s.kubectl(["create", "--validate=false", "-f", manifest]).stdout.contains("rolebinding.rbac.authorization.k8s.io/alice-view created"))

            let aliceCan = try await s.kubectl(["auth", "can-i", "list", "pods", "-n", "x"], check: false, token: ServerFixture.aliceToken)
            #expect(aliceCan.stdout == "yes\n", "\(aliceCan.stderr)")
            let aliceElsewhere = try await s.kubectl(["auth", "can-i", "list", "pods", "-n", "default"], check: false, token: ServerFixture.aliceToken)
            #expect(aliceElsewhere.stdout == "no\n" && aliceElsewhere.status == 1)
            let aliceDelete = try await s.kubectl(["auth", "can-i", "delete", "pods", "-n", "x"], check: false, token: ServerFixture.aliceToken)
            #expect(aliceDelete.stdout == "no\n")
            let bobCan = try await s.kubectl(["auth", "can-i", "list", "pods", "-n", "x"], check: false, token: ServerFixture.bobToken)
            #expect(bobCan.stdout == "no\n" && bobCan.status == 1, "\(bobCan.stderr)")
            #expect(try await s.kubectl(["auth", "can-i", "delete", "nodes"]).stdout == "yes\n")  // admin

            #expect(try await s.kubectl(["get", "pods", "-n", "x"], token: ServerFixture.aliceToken).stderr.contains("No resources found"))
            let bobGet = try await s.kubectl(["get", "pods", "-n", "x"], check: false, token: ServerFixture.bobToken)
            #expect(bobGet.status != 0)
            #expect(bobGet.stderr.contains(#"Error from server (Forbidden): pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "x""#),
                    "\(bobGet.stderr)")
            let unknown = try await s.kubectl(["get", "pods", "-n", "x"], check: false, token: "nope")
            #expect(unknown.status != 0 && unknown.stderr.contains("Unauthorized"), "\(unknown.stderr)")

            let list = try await s.kubectl(["auth", "can-i", "--list", "-n", "x"], check: false, token: ServerFixture.aliceToken)
            #expect(list.status == 0 && list.stdout.contains("pods") && list.stdout.contains("selfsubjectaccessreviews"),
                    "\(list.stdout)\(list.stderr)")
        }
    }
}
