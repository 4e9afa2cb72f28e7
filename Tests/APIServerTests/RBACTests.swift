import APIServer
import KubeAPI
import Testing

/// RBAC evaluation as a pure function over a snapshot: one table row per decision.
@Suite struct RBACTests {
    static func clusterRole(_ name: String, _ rules: [PolicyRule]) -> ClusterRole {
        var role = ClusterRole(); role.metadata.name = name; role.rules = rules; return role
    }
    static func role(_ namespace: String, _ name: String, _ rules: [PolicyRule]) -> Role {
        var role = Role(); role.metadata.name = name; role.metadata.namespace = namespace; role.rules = rules; return role
    }
    static func clusterBinding(_ name: String, _ role: String, _ subjects: [RBACSubject]) -> ClusterRoleBinding {
        var binding = ClusterRoleBinding(); binding.metadata.name = name
        binding.roleRef = RoleRef(kind: "ClusterRole", name: role); binding.subjects = subjects; return binding
    }
    static func binding(_ namespace: String, _ name: String, _ kind: String, _ role: String, _ subjects: [RBACSubject]) -> RoleBinding {
        var binding = RoleBinding(); binding.metadata.name = name; binding.metadata.namespace = namespace
        binding.roleRef = RoleRef(kind: kind, name: role); binding.subjects = subjects; return binding
    }
    static func user(_ name: String) -> RBACSubject { RBACSubject(kind: "User", name: name) }
    static func group(_ name: String) -> RBACSubject { RBACSubject(kind: "Group", name: name) }

    static let snapshot = RBACSnapshot(
        clusterRoles: [
            clusterRole("pod-reader", [PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"])]),
            clusterRole("secret-db", [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["db"])]),
            clusterRole("status-updater", [PolicyRule(verbs: ["update"], apiGroups: [""], resources: ["pods/status"])]),
            clusterRole("all-apps", [PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["*"])]),
            clusterRole("any-status", [PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["*/status"])]),
            clusterRole("health", [PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/logs/*"])]),
        ],
        roles: [role("x", "cm-editor", [PolicyRule(verbs: ["create", "update"], apiGroups: [""], resources: ["configmaps"])])],
        clusterRoleBindings: [
            clusterBinding("readers", "pod-reader", [group("readers")]),
            clusterBinding("health", "health", [user("carol")]),
            clusterBinding("apps", "all-apps", [group("app-admins")]),
            clusterBinding("role-ref-ignored", "cm-editor", [user("zed")]),
        ],
        roleBindings: [
            binding("x", "alice-pods", "ClusterRole", "pod-reader", [user("alice")]),
            binding("x", "alice-cm", "Role", "cm-editor", [user("alice")]),
            binding("x", "builder-db", "ClusterRole", "secret-db", [RBACSubject(kind: "ServiceAccount", name: "builder", namespace: "x")]),
            binding("y", "runner", "ClusterRole", "pod-reader", [RBACSubject(kind: "ServiceAccount", name: "runner")]),
            binding("x", "dave-status", "ClusterRole", "status-updater", [user("dave")]),
            binding("x", "auditors", "ClusterRole", "any-status", [group("auditors")]),
            binding("x", "dangling", "Role", "missing", [user("eve")]),
            binding("x", "health-in-ns", "ClusterRole", "health", [user("frank")]),
        ])

    /// (user, groups, verb, namespace, apiGroup, resource, subresource, name, allowed)
    static let resourceCases: [(String, [String], String, String, String, String, String, String, Bool)] = [
        ("alice", [], "list", "x", "", "pods", "", "", true),               // ClusterRole via RoleBinding
        ("alice", [], "list", "y", "", "pods", "", "", false),              // ... scoped to the binding's namespace
        ("alice", [], "list", "", "", "pods", "", "", false),               // ... not cluster-wide
        ("alice", [], "create", "x", "", "configmaps", "", "", true),       // Role via RoleBinding
        ("alice", [], "delete", "x", "", "configmaps", "", "", false),      // verb not in the rule
        ("alice", [], "create", "y", "", "configmaps", "", "", false),      // Role is in x only
        ("frank", ["readers"], "list", "", "", "pods", "", "", true),       // group via ClusterRoleBinding, cluster scope
        ("frank", ["readers"], "watch", "y", "", "pods", "", "", true),     // ... and every namespace
        ("frank", ["readers"], "delete", "y", "", "pods", "web", "", false),
        ("frank", ["readers"], "get", "y", "", "pods", "status", "web", false),  // "pods" does not cover pods/status
        ("system:serviceaccount:x:builder", [], "get", "x", "", "secrets", "", "db", true),     // SA subject, resourceNames
        ("system:serviceaccount:x:builder", [], "get", "x", "", "secrets", "", "other", false), // name not listed
        ("system:serviceaccount:x:builder", [], "list", "x", "", "secrets", "", "", false),     // list has no name
        ("system:serviceaccount:y:builder", [], "get", "x", "", "secrets", "", "db", false),    // SA of another namespace
        ("system:serviceaccount:y:runner", [], "list", "y", "", "pods", "", "", true),          // SA without namespace: binding's
        ("dave", [], "update", "x", "", "pods", "status", "web", true),     // subresource rule
        ("dave", [], "update", "x", "", "pods", "", "web", false),          // ... not the main resource
        ("gina", ["app-admins"], "deletecollection", "z", "apps", "deployments", "", "", true),  // * verbs and resources
        ("gina", ["app-admins"], "get", "z", "apps", "deployments", "scale", "web", true),       // * covers subresources
        ("gina", ["app-admins"], "get", "z", "", "pods", "", "web", false), // apiGroup not matched
        ("hal", ["auditors"], "get", "x", "apps", "deployments", "status", "web", true),         // */status, apiGroups *
        ("hal", ["auditors"], "get", "x", "apps", "deployments", "", "web", false),
        ("eve", [], "get", "x", "", "pods", "", "web", false),              // binding to a missing Role grants nothing
        ("zed", [], "create", "x", "", "configmaps", "", "", false),        // ClusterRoleBinding cannot reference a Role
        ("root", ["system:masters"], "delete", "kube-system", "", "secrets", "", "any", true),   // superuser group
        ("nobody", [], "get", "x", "", "pods", "", "web", false),           // no binding
    ]

    @Test(arguments: resourceCases)
    func resource(_ c: (String, [String], String, String, String, String, String, String, Bool)) {
        let attributes = RequestAttributes(user: UserInfo(name: c.0, groups: c.1), verb: c.2, namespace: c.3, apiGroup: c.4,
                                           resource: c.5, subresource: c.6, name: c.7)
        #expect(Self.snapshot.authorize(attributes).allowed == c.8, "\(attributes.forbiddenMessage())")
    }

    /// (user, verb, path, allowed)
    static let nonResourceCases: [(String, String, String, Bool)] = [
        ("carol", "get", "/healthz", true),
        ("carol", "get", "/logs/kube-apiserver.log", true),  // trailing * is a prefix
        ("carol", "post", "/healthz", false),
        ("carol", "get", "/livez", false),
        ("alice", "get", "/healthz", false),
        ("frank", "get", "/healthz", false),                 // a RoleBinding cannot grant non-resource URLs
    ]

    @Test(arguments: nonResourceCases)
    func nonResource(_ c: (String, String, String, Bool)) {
        let attributes = RequestAttributes(user: UserInfo(name: c.0, groups: []), verb: c.1, path: c.2)
        #expect(Self.snapshot.authorize(attributes).allowed == c.3)
    }

    @Test func allowReasonNamesTheBinding() {
        let decision = Self.snapshot.authorize(RequestAttributes(user: UserInfo(name: "alice", groups: []), verb: "get",
                                                                 namespace: "x", resource: "pods", name: "web"))
        #expect(decision == .allow("RBAC: allowed by RoleBinding \"alice-pods/x\" of ClusterRole \"pod-reader\" to User \"alice\""))
    }

    /// The bootstrap policy: everyone authenticated may discover and ask SelfSubjectAccessReviews.
    static let bootstrap = RBACSnapshot(clusterRoles: BootstrapPolicy.clusterRoles,
                                        clusterRoleBindings: BootstrapPolicy.clusterRoleBindings)

    @Test func bootstrapPolicy() {
        let alice = UserInfo(name: "alice", groups: []).authenticated
        #expect(Self.bootstrap.authorize(RequestAttributes(user: alice, verb: "get", path: "/apis")).allowed)
        #expect(Self.bootstrap.authorize(RequestAttributes(user: alice, verb: "get", path: "/api/v1")).allowed)
        #expect(Self.bootstrap.authorize(RequestAttributes(user: alice, verb: "create", apiGroup: "authorization.k8s.io",
                                                           resource: "selfsubjectaccessreviews")).allowed)
        #expect(!Self.bootstrap.authorize(RequestAttributes(user: alice, verb: "list", namespace: "x", resource: "pods")).allowed)
        #expect(Self.bootstrap.authorize(RequestAttributes(user: .anonymous, verb: "get", path: "/version")).allowed)
        #expect(!Self.bootstrap.authorize(RequestAttributes(user: .anonymous, verb: "get", path: "/apis")).allowed)
        let admin = UserInfo(name: "admin", groups: ["system:masters"]).authenticated
        #expect(Self.bootstrap.rules(user: admin, namespace: "x").contains { $0.verbs == ["*"] && $0.resources == ["*"] })
    }

    @Test func rulesForUserInNamespace() {
        let rules = Self.snapshot.rules(user: UserInfo(name: "alice", groups: []), namespace: "x")
        #expect(rules.map { $0.resources ?? [] } == [["configmaps"], ["pods"]])  // bindings in name order
        #expect(Self.snapshot.rules(user: UserInfo(name: "alice", groups: []), namespace: "y").isEmpty)
    }

    /// kube-apiserver's wording, for each scope.
    @Test func forbiddenMessages() throws {
        let bob = UserInfo(name: "bob", groups: [])
        #expect(RequestAttributes(user: bob, verb: "list", namespace: "x", resource: "pods").forbiddenMessage()
                == #"pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "x""#)
        #expect(RequestAttributes(user: bob, verb: "get", apiGroup: "apps", resource: "deployments", subresource: "status", name: "web")
                    .forbiddenMessage()
                == #"deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments/status" in API group "apps" at the cluster scope"#)
        #expect(RequestAttributes(user: bob, verb: "get", path: "/apis").forbiddenMessage()
                == #"forbidden: User "bob" cannot get path "/apis""#)
        // A Namespace item is in its own namespace, so a RoleBinding there can grant it.
        let target = try #require(ResourceRegistry.builtin.route(path: "/api/v1/namespaces/x"))
        #expect(RequestAttributes(user: bob, verb: .get, target: target).namespace == "x")
    }
}
