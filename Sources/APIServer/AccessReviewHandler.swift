import Foundation
import KubeAPI

/// `authorization.k8s.io/v1` SelfSubjectAccessReview and SelfSubjectRulesReview: what
/// `kubectl auth can-i` and `kubectl auth can-i --list` ask. Nothing is stored.
struct AccessReviewHandler: Sendable {
    static let group = "authorization.k8s.io"
    static let accessReviews = ResourceInfo(group: group, version: "v1", kind: "SelfSubjectAccessReview",
                                            resource: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"])
    static let rulesReviews = ResourceInfo(group: group, version: "v1", kind: "SelfSubjectRulesReview",
                                           resource: "selfsubjectrulesreviews", namespaced: false, verbs: ["create"])

    let authorizer: any Authorizer
    /// The rules for (user, namespace), when the authorizer can list them (RBAC can).
    let rules: (@Sendable (UserInfo, String) -> [PolicyRule])?

    func handle(_ target: ResourcePath, _ verb: Verb, _ request: APIRequest, user: UserInfo) -> APIResponse {
        guard verb == .create, target.name == nil, target.subresource == nil else {
            return .status(.methodNotAllowed(request.method, path: request.path))
        }
        guard case .object(var review)? = try? KubeJSON.decode(JSONValue.self, from: Data(request.body)) else {
            return .status(.badRequest("the request body is not a JSON object"))
        }
        let spec = review["spec"] ?? .object([:])
        switch target.resource.resource {
        case Self.accessReviews.resource: review["status"] = accessStatus(spec, user: user)
        default: review["status"] = rulesStatus(spec, user: user)
        }
        review["apiVersion"] = "authorization.k8s.io/v1"
        review["kind"] = .string(target.resource.kind)
        if review["metadata"] == nil { review["metadata"] = .object([:]) }
        return .json(201, .object(review))
    }

    private func accessStatus(_ spec: JSONValue, user: UserInfo) -> JSONValue {
        let attributes: RequestAttributes
        if let resource = spec["resourceAttributes"] {
            func field(_ name: String) -> String { resource[name]?.stringValue ?? "" }
            attributes = RequestAttributes(user: user, verb: field("verb"), namespace: field("namespace"), apiGroup: field("group"),
                                           resource: field("resource"), subresource: field("subresource"), name: field("name"))
        } else if let nonResource = spec["nonResourceAttributes"] {
            attributes = RequestAttributes(user: user, verb: nonResource["verb"]?.stringValue ?? "",
                                           path: nonResource["path"]?.stringValue ?? "")
        } else {
            return ["allowed": false, "evaluationError": "spec.resourceAttributes or spec.nonResourceAttributes is required"]
        }
        let decision = authorizer.authorize(attributes)
        var status: [String: JSONValue] = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return .object(status)
    }

    private func rulesStatus(_ spec: JSONValue, user: UserInfo) -> JSONValue {
        let namespace = spec["namespace"]?.stringValue ?? ""
        guard let rules else {
            return ["resourceRules": [], "nonResourceRules": [], "incomplete": true,
                    "evaluationError": "this authorizer cannot list rules"]
        }
        var resourceRules: [JSONValue] = [], nonResourceRules: [JSONValue] = []
        func strings(_ list: [String]?) -> JSONValue { .array((list ?? []).map(JSONValue.string)) }
        for rule in rules(user, namespace) {
            if let urls = rule.nonResourceURLs, !urls.isEmpty {
                nonResourceRules.append(["verbs": strings(rule.verbs), "nonResourceURLs": strings(urls)])
            }
            if let resources = rule.resources, !resources.isEmpty {
                var entry: [String: JSONValue] = ["verbs": strings(rule.verbs), "apiGroups": strings(rule.apiGroups),
                                                  "resources": strings(resources)]
                if let names = rule.resourceNames, !names.isEmpty { entry["resourceNames"] = strings(names) }
                resourceRules.append(.object(entry))
            }
        }
        // kube-apiserver's rule resolver knows nothing of the superuser group either; its
        // members see the rules of the cluster-admin binding.
        return ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false]
    }
}
