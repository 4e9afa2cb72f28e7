import APIServer
import KubeAPI
import Testing

/// A route as one line of text, for tables.
func describe(_ route: Route) -> String {
    switch route {
    case .version: "version"
    case .health: "health"
    case .coreVersions: "api"
    case .groupList: "apis"
    case .group(let g): "group \(g)"
    case .resourceList(let g, let v): "resources \(g.isEmpty ? "core" : g)/\(v)"
    case .failure(let status): "\(status.code ?? 0) \(status.reason ?? "")"
    case .resource(let p, let verb):
        "\(verb.rawValue) \(p.resource.qualifiedResource) ns=\(p.namespace ?? "-") name=\(p.name ?? "-") sub=\(p.subresource ?? "-")"
    }
}

@Suite struct RouterTests {
    static let cases: [(String, String, String)] = [
        ("GET /version", "", "version"),
        ("GET /api", "", "api"),
        ("GET /healthz", "", "health"),
        ("GET /readyz", "", "health"),
        ("POST /livez", "", "405 MethodNotAllowed"),
        ("GET /apis", "", "apis"),
        ("GET /api/v1", "", "resources core/v1"),
        ("GET /apis/apps/v1", "", "resources apps/v1"),
        ("GET /apis/networking.k8s.io", "", "group networking.k8s.io"),
        ("GET /apis/nosuch.io/v1", "", "404 NotFound"),
        ("POST /api/v1", "", "405 MethodNotAllowed"),
        ("GET /api/v1/namespaces/default/pods/web", "", "get pods ns=default name=web sub=-"),
        ("GET /api/v1/namespaces/default/pods", "", "list pods ns=default name=- sub=-"),
        ("GET /api/v1/pods", "", "list pods ns=- name=- sub=-"),
        ("GET /api/v1/pods", "watch=1", "watch pods ns=- name=- sub=-"),
        ("GET /api/v1/namespaces/x/services", "watch=true", "watch services ns=x name=- sub=-"),
        ("GET /api/v1/namespaces/x/services", "watch=false", "list services ns=x name=- sub=-"),
        ("POST /api/v1/namespaces/x/services", "", "create services ns=x name=- sub=-"),
        ("POST /api/v1/pods", "", "405 MethodNotAllowed"),
        ("PUT /api/v1/namespaces/x/services/web", "", "update services ns=x name=web sub=-"),
        ("PATCH /api/v1/namespaces/x/services/web", "", "patch services ns=x name=web sub=-"),
        ("DELETE /api/v1/namespaces/x/services/web", "", "delete services ns=x name=web sub=-"),
        ("DELETE /api/v1/namespaces/x/services", "", "deletecollection services ns=x name=- sub=-"),
        ("POST /api/v1/namespaces/x/services/web", "", "405 MethodNotAllowed"),
        ("PUT /api/v1/namespaces/x/services/web/status", "", "update services ns=x name=web sub=status"),
        ("PATCH /apis/apps/v1/namespaces/x/deployments/web/status", "", "patch deployments.apps ns=x name=web sub=status"),
        ("DELETE /api/v1/namespaces/x/services/web/status", "", "405 MethodNotAllowed"),
        ("GET /apis/apps/v1/namespaces/x/deployments/web/scale", "", "get deployments.apps ns=x name=web sub=scale"),
        ("POST /api/v1/namespaces/x/pods/p/binding", "", "create pods ns=x name=p sub=binding"),
        ("GET /api/v1/namespaces/x/pods/p/binding", "", "405 MethodNotAllowed"),
        ("GET /api/v1/namespaces/x/pods/p/log", "", "405 MethodNotAllowed"),
        ("GET /api/v1/namespaces/x/configmaps/c/status", "", "404 NotFound"),
        ("GET /api/v1/nodes/n1", "", "get nodes ns=- name=n1 sub=-"),
        ("GET /api/v1/namespaces/x", "", "get namespaces ns=- name=x sub=-"),
        ("PUT /api/v1/namespaces/x/status", "", "update namespaces ns=- name=x sub=status"),
        ("POST /api/v1/namespaces", "", "create namespaces ns=- name=- sub=-"),
        ("GET /apis/networking.k8s.io/v1/namespaces/x/networkpolicies/deny", "", "get networkpolicies.networking.k8s.io ns=x name=deny sub=-"),
        ("GET /apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "", "get clusterroles.rbac.authorization.k8s.io ns=- name=admin sub=-"),
        ("GET /api/v1/namespaces/x/nodes", "", "404 NotFound"),
        ("GET /api/v1/widgets", "", "404 NotFound"),
        ("GET /apis/apps/v2/deployments", "", "404 NotFound"),
        ("GET /openapi/v2", "", "404 NotFound"),
    ]

    @Test(arguments: cases)
    func route(_ request: String, _ query: String, _ expected: String) {
        let parts = request.split(separator: " ")
        let uri = query.isEmpty ? String(parts[1]) : "\(parts[1])?\(query)"
        let parsed = APIRequest(method: String(parts[0]), uri: uri)
        #expect(describe(Router().route(method: parsed.method, path: parsed.path, query: parsed.query)) == expected)
    }

    @Test func everyBuiltinKindRoutes() {
        let router = Router()
        for info in ResourceRegistry.builtin.all {
            let ns = info.namespaced ? "x" : nil
            #expect(describe(router.route(method: "GET", path: info.collectionPath(namespace: ns))).hasPrefix("list \(info.qualifiedResource) "))
            #expect(describe(router.route(method: "GET", path: info.itemPath(name: "a", namespace: ns))) ==
                    "get \(info.qualifiedResource) ns=\(ns ?? "-") name=a sub=-")
        }
    }

    @Test func queryIsPercentDecoded() {
        let request = APIRequest(method: "GET", uri: "/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1")
        #expect(request.query["labelSelector"] == "app=web,tier in (a)")
        #expect(request.flag("watch"))
    }
}
