import KubeAPI

/// The whole request path as a plain async function of a request value:
/// route -> authenticate -> authorize -> handle. The channel handler only moves bytes.
public struct RequestPipeline: Sendable {
    public let router: Router
    public let authenticator: any Authenticator
    public let authorizer: any Authorizer
    public let resources: ResourceHandler
    let reviews: AccessReviewHandler
    /// Awaited after a successful write with the object's store key, before the response goes
    /// out: the server uses it so that an RBAC or token change is in force once acknowledged.
    let writeBarrier: WriteBarrier?

    /// What the server waits for after a write: whether a store prefix is mirrored, and the wait.
    public struct WriteBarrier: Sendable {
        public var covers: @Sendable (String) -> Bool
        public var wait: @Sendable (String) async -> Void
        public init(covers: @escaping @Sendable (String) -> Bool, wait: @escaping @Sendable (String) async -> Void) {
            self.covers = covers
            self.wait = wait
        }
    }

    /// - Parameters:
    ///   - rules: the rules that apply to a user in a namespace, for SelfSubjectRulesReview.
    public init(resources: ResourceHandler, router: Router = Router(registry: .served),
                authenticator: any Authenticator, authorizer: any Authorizer,
                rules: (@Sendable (UserInfo, String) -> [PolicyRule])? = nil,
                writeBarrier: WriteBarrier? = nil) {
        self.resources = resources
        self.router = router
        self.authenticator = authenticator
        self.authorizer = authorizer
        reviews = AccessReviewHandler(authorizer: authorizer, rules: rules)
        self.writeBarrier = writeBarrier
    }

    /// The version document kubectl shows as "Server Version".
    public static let versionInfo: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-trellis", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "swift6", "compiler": "swift", "platform": "linux/amd64",
    ]

    public func handle(_ request: APIRequest) async -> APIResponse {
        let route = router.route(method: request.method, path: request.path, query: request.query)
        // Authentication before anything else is done or revealed (even a 404). A request
        // without credentials may read the public-info paths only, as `system:anonymous`.
        let user: UserInfo
        if let known = authenticator.authenticate(request) {
            user = known
        } else if route.isPublicInfo, request.headers["authorization"] == nil {
            user = .anonymous
        } else {
            return .status(.unauthorized())
        }
        var request = request
        if request.contentType == ProtobufBody.mediaType, !request.body.isEmpty {
            do { request.body = try ProtobufBody.json(from: request.body) } catch { return .status(error) }
            request.headers["content-type"] = "application/json"
        }
        switch route {
        case .failure(let status):
            return .status(status)
        case .resource(let target, let verb):
            let attributes = RequestAttributes(user: user, verb: verb, target: target)
            let decision = authorizer.authorize(attributes)
            guard decision.allowed else { return .status(.forbidden(attributes, reason: decision.reason)) }
            if target.resource.group == AccessReviewHandler.group {
                return reviews.handle(target, verb, request, user: user)
            }
            let response = await resources.handle(target, verb, request)
            await afterWrite(target, verb, response)
            return response
        default:
            let attributes = RequestAttributes(user: user, verb: RequestAttributes.nonResourceVerb(method: request.method),
                                               path: request.path)
            let decision = authorizer.authorize(attributes)
            guard decision.allowed else { return .status(.forbidden(attributes, reason: decision.reason)) }
            return nonResource(route, request)
        }
    }

    /// Discovery, version and health.
    private func nonResource(_ route: Route, _ request: APIRequest) -> APIResponse {
        switch route {
        case .version: return .json(200, Self.versionInfo)
        case .health: return APIResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array("ok".utf8)))
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
        case .resource, .failure:
            return .status(.internalError("not a non-resource route"))
        }
    }

    private func afterWrite(_ target: ResourcePath, _ verb: Verb, _ response: APIResponse) async {
        // Only writes under a mirrored prefix wait; only a create decodes its response (for the name).
        guard let writeBarrier, (200..<300).contains(response.status), [.create, .update, .patch, .delete].contains(verb),
              writeBarrier.covers(resources.prefix(target)),
              let name = target.name ?? response.bodyJSON?["metadata"]?["name"]?.stringValue else { return }
        await writeBarrier.wait(resources.key(target.resource, target.namespace, name))
    }
}

extension ResourceRegistry {
    /// What this server routes and advertises: the built-in kinds and the access reviews.
    public static let served: ResourceRegistry = {
        var registry = ResourceRegistry.builtin
        registry.register(AccessReviewHandler.accessReviews)
        registry.register(AccessReviewHandler.rulesReviews)
        return registry
    }()
}

extension Status {
    /// kube-apiserver's 403 for a denied request.
    static func forbidden(_ attributes: RequestAttributes, reason: String) -> Status {
        let details = attributes.isResourceRequest
            ? StatusDetails(name: attributes.name.isEmpty ? nil : attributes.name, group: attributes.apiGroup,
                            kind: attributes.resource, causes: nil)
            : nil
        return Status(code: 403, reason: "Forbidden", message: attributes.forbiddenMessage(reason: reason), details: details)
    }
}
