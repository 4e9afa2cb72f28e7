import KubeAPI

/// The ClusterRoles and ClusterRoleBindings a fresh cluster gets, a subset of kube-apiserver's
/// bootstrap policy (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy`). The real `admin`,
/// `edit` and `view` are aggregated from labelled roles; these carry their rules directly.
public enum BootstrapPolicy {
    static let readVerbs = ["get", "list", "watch"]
    static let writeVerbs = ["create", "delete", "deletecollection", "patch", "update"]

    /// Namespaced resources a `view` user may read (Secrets are deliberately not among them).
    static let viewRules: [PolicyRule] = [
        PolicyRule(verbs: readVerbs, apiGroups: [""], resources: [
            "configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/log", "pods/status", "replicationcontrollers",
            "serviceaccounts", "services", "services/status", "events", "namespaces", "namespaces/status",
            "resourcequotas", "limitranges"]),
        PolicyRule(verbs: readVerbs, apiGroups: ["apps"], resources: [
            "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets",
            "replicasets/scale", "replicasets/status", "statefulsets"]),
        PolicyRule(verbs: readVerbs, apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
        PolicyRule(verbs: readVerbs, apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"]),
        PolicyRule(verbs: readVerbs, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
    ]

    /// What `edit` adds: writes to workloads, Secrets and ServiceAccounts, not to RBAC.
    static let editRules: [PolicyRule] = viewRules + [
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: [""], resources: [
            "configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers", "secrets",
            "serviceaccounts", "services", "events"]),
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: ["apps"], resources: [
            "daemonsets", "deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets"]),
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"]),
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
    ]

    /// What `admin` adds: Roles and RoleBindings in the namespace.
    static let adminRules: [PolicyRule] = editRules + [
        PolicyRule(verbs: readVerbs + writeVerbs, apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"]),
        PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"]),
    ]

    public static let clusterRoles: [ClusterRole] = [
        role("cluster-admin", [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
                               PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]),
        role("admin", adminRules),
        role("edit", editRules),
        role("view", viewRules),
        role("system:discovery", [PolicyRule(verbs: ["get"], nonResourceURLs: [
            "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])]),
        role("system:basic-user", [PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"],
                                              resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"])]),
        role("system:public-info-viewer", [PolicyRule(verbs: ["get"], nonResourceURLs: [
            "/healthz", "/livez", "/readyz", "/version", "/version/"])]),
    ]

    public static let clusterRoleBindings: [ClusterRoleBinding] = [
        binding("cluster-admin", [RBACSubject(kind: "Group", name: UserInfo.mastersGroup, apiGroup: rbacGroup)]),
        binding("system:discovery", [RBACSubject(kind: "Group", name: UserInfo.authenticatedGroup, apiGroup: rbacGroup)]),
        binding("system:basic-user", [RBACSubject(kind: "Group", name: UserInfo.authenticatedGroup, apiGroup: rbacGroup)]),
        binding("system:public-info-viewer", [RBACSubject(kind: "Group", name: UserInfo.authenticatedGroup, apiGroup: rbacGroup),
                                              RBACSubject(kind: "Group", name: "system:unauthenticated", apiGroup: rbacGroup)]),
    ]

    static let rbacGroup = "rbac.authorization.k8s.io"
    static let bootstrapLabels = ["kubernetes.io/bootstrapping": "rbac-defaults"]

    private static func role(_ name: String, _ rules: [PolicyRule]) -> ClusterRole {
        var role = ClusterRole()
        role.apiVersion = "rbac.authorization.k8s.io/v1"
        role.kind = "ClusterRole"
        role.metadata.name = name
        role.metadata.labels = bootstrapLabels
        role.rules = rules
        return role
    }

    private static func binding(_ name: String, _ subjects: [RBACSubject]) -> ClusterRoleBinding {
        var binding = ClusterRoleBinding()
        binding.apiVersion = "rbac.authorization.k8s.io/v1"
        binding.kind = "ClusterRoleBinding"
        binding.metadata.name = name
        binding.metadata.labels = bootstrapLabels
        binding.subjects = subjects
        binding.roleRef = RoleRef(kind: "ClusterRole", name: name)
        return binding
    }
}

extension BootstrapPolicy {
    /// Creates the bootstrap roles and bindings that do not exist. Existing ones (changed by an
    /// admin, or from an earlier start) are left as they are.
    static func createMissing(_ resources: ResourceHandler) async throws {
        let objects: [(ResourceInfo, String, [UInt8])] =
            clusterRoles.map { (ClusterRole.resource, $0.metadata.name ?? "", Array(KubeJSON.encode($0))) }
            + clusterRoleBindings.map { (ClusterRoleBinding.resource, $0.metadata.name ?? "", Array(KubeJSON.encode($0))) }
        for (info, name, body) in objects where try resources.store.get(key: resources.key(info, nil, name)) == nil {
            let path = info.collectionPath()
            guard let target = ResourceRegistry.builtin.route(path: path) else { continue }
            let response = await resources.handle(target, .create, APIRequest(method: "POST", path: path, body: body))
            guard response.status == 201 || response.status == 409 else {
                throw Status.internalError("creating \(info.kind) \(name): HTTP \(response.status)")
            }
        }
    }
}
