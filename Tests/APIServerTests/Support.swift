import APIServer
import Foundation
import KubeAPI
import Store
import TestSupport

/// The store the API tests run on: SQLite, or with `TRELLIS_TEST_STORE=etcd` a real etcd
/// (one member shared by the process, a fresh key prefix per store).
func makeTestStore(_ dir: ScratchDirectory, fullSync: Bool = true) async throws -> any ObjectStore & ClosableStore {
    if ProcessInfo.processInfo.environment["TRELLIS_TEST_STORE"] == "etcd" {
        var options = EtcdStore.Options()
        options.keyPrefix = "/t" + UUID().uuidString.prefix(8).lowercased()
        return try await EtcdStore(endpoints: SharedEtcd.cluster.clientURLs, options: options)
    }
    return try SQLiteStore(path: dir.path + "/store.sqlite", options: { var o = SQLiteStore.Options(); o.fullSync = fullSync; return o }())
}

protocol ClosableStore { func close() }
extension SQLiteStore: ClosableStore {}
extension EtcdStore: ClosableStore {}

/// A pipeline over a fresh store with the initial namespaces; no sockets.
final class PipelineFixture: @unchecked Sendable {
    let dir: ScratchDirectory
    let store: any ObjectStore & ClosableStore
    let pipeline: RequestPipeline

    init(bookmarkInterval: Duration = .seconds(60)) async throws {
        dir = try ScratchDirectory()
        store = try await makeTestStore(dir, fullSync: false)
        let resources = ResourceHandler(store: store, bookmarkInterval: bookmarkInterval)
        // Handler tests, not access control: they opt in to admitting everything.
        pipeline = RequestPipeline(resources: resources, authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
        try await resources.createInitialNamespaces()
    }

    deinit { store.close() }

    func send(_ method: String, _ uri: String, _ body: String = "", contentType: String = "application/json") async -> APIResponse {
        await pipeline.handle(APIRequest(method: method, uri: uri, headers: ["content-type": contentType], body: Array(body.utf8)))
    }

    /// Sends and returns status and decoded JSON body.
    func json(_ method: String, _ uri: String, _ body: String = "", contentType: String = "application/json") async -> (Int, JSONValue) {
        let response = await send(method, uri, body, contentType: contentType)
        return (response.status, response.bodyJSON ?? .null)
    }
}

/// Runs blocking work (a child process) on its own thread, so that it never occupies one of the
/// few threads of Swift's cooperative pool, which the in-process server's tasks need.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// The in-process server on an ephemeral port, its store, and a kubeconfig for kubectl with the
/// admin token. The token file also has `alice` and `bob` (no groups, so no rights but discovery).
final class ServerFixture: @unchecked Sendable {
    static let adminToken = "admin-" + BearerToken.random().text
    static let aliceToken = "alice-" + BearerToken.random().text
    static let bobToken = "bob-" + BearerToken.random().text
    static let tokenFile = try! TokenFile(parsing: """
        \(adminToken),admin,admin-uid,"system:masters"
        \(aliceToken),alice,alice-uid
        \(bobToken),bob,bob-uid,"developers"
        """)

    let dir: ScratchDirectory
    let store: any ObjectStore & ClosableStore
    let server: APIServer
    let url: String
    let kubeconfig: String
    let front: TLSFront

    init(bookmarkInterval: Duration = .seconds(60)) async throws {
        dir = try ScratchDirectory()
        store = try await makeTestStore(dir)
        server = APIServer(store: store, configuration: .init(host: "127.0.0.1", port: 0, bookmarkInterval: bookmarkInterval,
                                                              eventLoopThreads: 1, access: .rbac(tokenFile: Self.tokenFile)))
        let port = try await server.start()
        url = "http://127.0.0.1:\(port)"
        kubeconfig = dir.path + "/admin.kubeconfig"
        front = try TLSFront(upstreamPort: port, dir: dir.path)
        // kubectl talks to the TLS front (it sends tokens only over TLS); curl talks to `url`.
        let config = Kubeconfig.admin(server: "https://127.0.0.1:\(front.port)", token: BearerToken(Self.adminToken))
            .replacingOccurrences(of: "    server: ", with: "    insecure-skip-tls-verify: true\n    server: ")
        try PrivateFile.write(config, to: kubeconfig)
    }

    func stop() async {
        front.stop()
        await server.shutdown()
        store.close()
    }

    /// kubectl with the admin kubeconfig, or as another user with `token`.
    func kubectl(_ args: [String], stdin: String? = nil, check: Bool = true, token: String? = nil) async throws -> CommandResult {
        let command = ["kubectl", "--kubeconfig", kubeconfig] + (token.map { ["--token", $0] } ?? []) + args
        return try await offPool { try shell(command, stdin: stdin, check: check) }
    }

    /// One request with curl: HTTP status and body. Sent with the admin token unless `token` is
    /// given ("" sends no Authorization header).
    func curl(_ method: String, _ path: String, body: String? = nil, contentType: String = "application/json",
              maxTime: Int = 10, token: String = ServerFixture.adminToken) async throws -> (status: Int, body: String) {
        var args = ["curl", "-s", "-N", "--max-time", String(maxTime), "-X", method, "-w", "\n%{http_code}",
                    "-H", "Content-Type: \(contentType)"]
        if !token.isEmpty { args += ["-H", "Authorization: Bearer \(token)"] }
        if body != nil { args += ["--data-binary", "@-"] }
        args.append(url + path)
        let command = args
        let result = try await offPool { try shell(command, stdin: body, check: false) }
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        return (status, lines.joined(separator: "\n"))
    }
}

/// Runs `body` against a fresh server, which is stopped (and its directory removed) afterwards, even on throw.
func withServer<T>(_ body: (ServerFixture) async throws -> T) async throws -> T {
    let server = try await ServerFixture()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension JSONValue {
    /// The value at a dotted path (`metadata.labels.app`), for assertions.
    subscript(path path: String) -> JSONValue? {
        var node: JSONValue? = self
        for part in path.split(separator: ".") {
            if let index = Int(part), case .array(let items)? = node {
                node = index < items.count ? items[index] : nil
            } else {
                node = node?[String(part)]
            }
        }
        return node
    }

    init(text: String) throws { self = try KubeJSON.decode(JSONValue.self, from: Data(text.utf8)) }
}
