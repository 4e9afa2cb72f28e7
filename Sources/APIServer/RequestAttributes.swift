import KubeAPI

/// What an authorizer decides about: kube-apiserver's `authorizer.Attributes`.
public struct RequestAttributes: Sendable, Hashable {
    public var user: UserInfo
    /// An RBAC verb (`get`, `list`, ...) or, for a non-resource request, the lower-cased HTTP method.
    public var verb: String
    public var isResourceRequest: Bool
    public var namespace: String
    public var apiGroup: String
    public var resource: String
    public var subresource: String
    public var name: String
    /// The URL path of a non-resource request (`/apis`, `/version`).
    public var path: String

    /// A resource request.
    public init(user: UserInfo, verb: String, namespace: String = "", apiGroup: String = "", resource: String,
                subresource: String = "", name: String = "") {
        self.user = user
        self.verb = verb
        isResourceRequest = true
        self.namespace = namespace
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.name = name
        path = ""
    }

    /// A non-resource request (`GET /apis` is verb `get`, path `/apis`).
    public init(user: UserInfo, verb: String, path: String) {
        self.user = user
        self.verb = verb
        isResourceRequest = false
        namespace = ""; apiGroup = ""; resource = ""; subresource = ""; name = ""
        self.path = path
    }

    /// The attributes of a routed resource URL. As in kube-apiserver, a Namespace item
    /// (`/api/v1/namespaces/x`) is in its own namespace, so a RoleBinding in `x` can grant it.
    public init(user: UserInfo, verb: Verb, target: ResourcePath) {
        var namespace = target.namespace ?? ""
        if target.resource.group.isEmpty, target.resource.resource == "namespaces", let name = target.name { namespace = name }
        self.init(user: user, verb: verb.rawValue, namespace: namespace, apiGroup: target.resource.group,
                  resource: target.resource.resource, subresource: target.subresource ?? "", name: target.name ?? "")
    }

    /// The verb of a non-resource request: kube-apiserver's lower-cased method, HEAD as get.
    public static func nonResourceVerb(method: String) -> String {
        method == "HEAD" ? "get" : method.lowercased()
    }

    /// kube-apiserver's 403 message: `pods "web" is forbidden: User "bob" cannot get resource "pods"
    /// in API group "" in the namespace "x"` (`: reason` appended when the authorizer gave one).
    public func forbiddenMessage(reason: String = "") -> String {
        var message: String
        if !isResourceRequest {
            message = "forbidden: User \"\(user.name)\" cannot \(verb) path \"\(path)\""
        } else {
            let qualified = apiGroup.isEmpty ? resource : "\(resource).\(apiGroup)"
            let combined = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
            let subject = name.isEmpty ? qualified : "\(qualified) \"\(name)\""
            let scope = namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(namespace)\""
            message = "\(subject) is forbidden: User \"\(user.name)\" cannot \(verb) resource \"\(combined)\" in API group \"\(apiGroup)\" \(scope)"
        }
        if !reason.isEmpty { message += ": " + reason }
        return message
    }
}
