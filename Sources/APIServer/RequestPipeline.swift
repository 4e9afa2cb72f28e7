import KubeAPI

/// The whole request path as a plain async function of a request value:
/// route -> authenticate -> authorize -> handle. The channel handler only moves bytes.
public struct RequestPipeline: Sendable {
    public let router: Router
    public let authenticator: any Authenticator
    public let authorizer: any Authorizer
    public let resources: ResourceHandler

    public init(resources: ResourceHandler, router: Router = Router(),
                authenticator: any Authenticator = AdmitAll(), authorizer: any Authorizer = AdmitAll()) {
        self.resources = resources
        self.router = router
        self.authenticator = authenticator
        self.authorizer = authorizer
    }

    /// The version document kubectl shows as "Server Version".
    public static let versionInfo: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-trellis", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "swift6", "compiler": "swift", "platform": "linux/amd64",
    ]

    public func handle(_ request: APIRequest) async -> APIResponse {
        var request = request
        if request.contentType == ProtobufBody.mediaType, !request.body.isEmpty {
            do { request.body = try ProtobufBody.json(from: request.body) } catch { return .status(error) }
            request.headers["content-type"] = "application/json"
        }
        // Authentication (next slice: client certificates and bearer tokens).
        guard let user = authenticator.authenticate(request) else { return .status(.unauthorized()) }
        let route = router.route(method: request.method, path: request.path, query: request.query)
        switch route {
        case .version: return .json(200, Self.versionInfo)
        case .coreVersions: return .json(200, Discovery.coreVersions(serverAddress: request.headers["host"] ?? "127.0.0.1"))
        case .groupList: return .json(200, Discovery.groupList(router.registry))
        case .group(let group):
            let groups = Discovery.groupList(router.registry)["groups"]?.arrayValue ?? []
            guard var doc = groups.first(where: { $0["name"]?.stringValue == group })?.objectValue else {
                return .status(.pathNotFound(request.path))
            }
            doc["kind"] = "APIGroup"
            doc["apiVersion"] = "v1"
            return .json(200, .object(doc))
        case .resourceList(let group, let version):
            return .json(200, Discovery.resourceList(router.registry, group: group, version: version))
        case .failure(let status):
            return .status(status)
        case .resource(let target, let verb):
            // Authorization (next slice: RBAC over Roles and ClusterRoles from the store).
            if let reason = authorizer.deny(RequestAttributes(user: user, verb: verb, resource: target)) {
                return .status(.forbidden(reason))
            }
            return await resources.handle(target, verb, request)
        }
    }
}
