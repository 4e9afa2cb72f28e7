import KubeAPI

/// RBAC evaluation, as kube-apiserver's `rbac.RBACAuthorizer` and its rule resolver do it.
extension RBACSnapshot {
    /// Allowed when the user is in `system:masters`, or a rule of a role bound to the user
    /// (by a ClusterRoleBinding, or by a RoleBinding in the request's namespace) covers the request.
    public func authorize(_ request: RequestAttributes) -> AuthorizationDecision {
        if request.user.groups.contains(UserInfo.mastersGroup) {
            return .allow("superuser group \(UserInfo.mastersGroup)")
        }
        var allowedBy: String?
        visitRules(user: request.user, namespace: request.namespace) { source, rule in
            guard Self.rule(rule, allows: request) else { return true }
            allowedBy = source
            return false
        }
        if let allowedBy { return .allow("RBAC: allowed by \(allowedBy)") }
        return .deny("")
    }

    /// Every rule that applies to `user` in `namespace` ("" for cluster-wide only), for
    /// SelfSubjectRulesReview.
    public func rules(user: UserInfo, namespace: String) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        visitRules(user: user, namespace: namespace) { _, rule in rules.append(rule); return true }
        return rules
    }

    /// Calls `visit` with (description of the grant, rule) for each rule bound to the user, in a
    /// stable order, until it returns false.
    func visitRules(user: UserInfo, namespace: String, _ visit: (String, PolicyRule) -> Bool) {
        for (name, binding) in clusterRoleBindings.sorted(by: { $0.key < $1.key }) {
            guard binding.roleRef.kind == "ClusterRole",
                  let subject = binding.subjects?.first(where: { Self.subject($0, matches: user, bindingNamespace: "") }),
                  let rules = clusterRoles[binding.roleRef.name] else { continue }
            let source = "ClusterRoleBinding \"\(name)\" of ClusterRole \"\(binding.roleRef.name)\" to \(subject.kind) \"\(subject.name)\""
            for rule in rules where !visit(source, rule) { return }
        }
        guard !namespace.isEmpty, let bindings = roleBindings[namespace] else { return }
        for (name, binding) in bindings.sorted(by: { $0.key < $1.key }) {
            guard let subject = binding.subjects?.first(where: { Self.subject($0, matches: user, bindingNamespace: namespace) })
            else { continue }
            let rules: [PolicyRule]?
            switch binding.roleRef.kind {
            case "Role": rules = roles[namespace]?[binding.roleRef.name]
            case "ClusterRole": rules = clusterRoles[binding.roleRef.name]
            default: rules = nil
            }
            let source = "RoleBinding \"\(name)/\(namespace)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\" to \(subject.kind) \"\(subject.name)\""
            for rule in rules ?? [] where !visit(source, rule) { return }
        }
    }

    /// Whether a binding subject names the user. A ServiceAccount subject without a namespace
    /// is in the binding's namespace.
    static func subject(_ subject: RBACSubject, matches user: UserInfo, bindingNamespace: String) -> Bool {
        switch subject.kind {
        case "User": return subject.name == user.name
        case "Group": return user.groups.contains(subject.name)
        case "ServiceAccount":
            let namespace = subject.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? bindingNamespace
            return !namespace.isEmpty && user.name == "system:serviceaccount:\(namespace):\(subject.name)"
        default: return false
        }
    }

    /// Whether one rule covers the request (rbac/v1 `RuleAllows`).
    static func rule(_ rule: PolicyRule, allows request: RequestAttributes) -> Bool {
        guard rule.verbs.contains("*") || rule.verbs.contains(request.verb) else { return false }
        guard request.isResourceRequest else {
            return (rule.nonResourceURLs ?? []).contains { url in
                url == "*" || url == request.path || (url.hasSuffix("*") && request.path.hasPrefix(url.dropLast()))
            }
        }
        let groups = rule.apiGroups ?? []
        guard groups.contains("*") || groups.contains(request.apiGroup) else { return false }
        let combined = request.subresource.isEmpty ? request.resource : "\(request.resource)/\(request.subresource)"
        let resourceMatches = (rule.resources ?? []).contains { resource in
            resource == "*" || resource == combined || (!request.subresource.isEmpty && resource == "*/\(request.subresource)")
        }
        guard resourceMatches else { return false }
        let names = rule.resourceNames ?? []
        return names.isEmpty || names.contains(request.name)
    }
}
