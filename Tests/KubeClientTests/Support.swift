import APIServer
import Foundation
import KubeAPI
import KubeClient
import Store
import TestSupport

/// A CA and a serving certificate for 127.0.0.1 made with the openssl CLI, in `dir`.
struct TestPKI {
    let caCertificate: String
    let serverCertificate: String
    let serverKey: String
    var caPEM: String { (try? String(contentsOfFile: caCertificate, encoding: .utf8)) ?? "" }

    init(dir: String, name: String = "ca") throws {
        caCertificate = dir + "/\(name).crt"
        serverCertificate = dir + "/\(name)-server.crt"
        serverKey = dir + "/\(name)-server.key"
        let caKey = dir + "/\(name).key", csr = dir + "/\(name).csr", ext = dir + "/\(name).ext"
        try shell(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", caKey, "-out", caCertificate, "-days", "2", "-subj", "/CN=test-\(name)",
                   "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try shell(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", serverKey, "-out", csr, "-subj", "/CN=apiserver"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        try shell(["openssl", "x509", "-req", "-in", csr, "-CA", caCertificate, "-CAkey", caKey, "-set_serial", "1",
                   "-days", "2", "-out", serverCertificate, "-extfile", ext])
    }
}

/// The in-process API server over TLS with a token file, on an ephemeral port, with an admin
/// kubeconfig (CA + token). The server can be stopped and started again on the same port and
/// store file, as a restart.
final class ServerFixture: @unchecked Sendable {
    static let adminToken = "admin-" + BearerToken.random().text
    static let aliceToken = "alice-" + BearerToken.random().text
    static let tokenFile = try! TokenFile(parsing: """
        \(adminToken),admin,admin-uid,"system:masters"
        \(aliceToken),alice,alice-uid
        """)

    let dir: ScratchDirectory
    let pki: TestPKI
    private(set) var store: SQLiteStore
    private(set) var server: APIServer!
    private(set) var port = 0
    let kubeconfig: String
    var storePath: String { dir.path + "/store.sqlite" }

    init() async throws {
        dir = try ScratchDirectory()
        pki = try TestPKI(dir: dir.path)
        store = try SQLiteStore(path: dir.path + "/store.sqlite", options: Self.storeOptions)
        // A port below the ephemeral range, so that no client socket can take it while the
        // server restarts.
        var attempt = 0
        while true {
            let candidate = Int.random(in: 20000..<32000)
            server = Self.makeServer(store: store, port: candidate, pki: pki)
            do {
                port = try await server.start()
                break
            } catch {
                await server.shutdown()
                attempt += 1
                if attempt == 20 { store.close(); throw error }
            }
        }
        kubeconfig = dir.path + "/admin.kubeconfig"
        try PrivateFile.write(Kubeconfig.admin(server: "https://127.0.0.1:\(port)", token: BearerToken(Self.adminToken),
                                               certificateAuthority: pki.caPEM), to: kubeconfig)
    }

    static var storeOptions: SQLiteStore.Options { var o = SQLiteStore.Options(); o.fullSync = false; return o }

    private static func makeServer(store: SQLiteStore, port: Int, pki: TestPKI) -> APIServer {
        var configuration = APIServer.Configuration(host: "127.0.0.1", port: port, bookmarkInterval: .milliseconds(200),
                                                    eventLoopThreads: 1, access: .rbac(tokenFile: tokenFile))
        configuration.tls = .init(certificateChain: pki.serverCertificate, privateKey: pki.serverKey)
        return APIServer(store: store, configuration: configuration)
    }

    /// A client from the admin kubeconfig.
    func client() throws -> KubeClient { try KubeClient(config: try ClientConfig(kubeconfigPath: kubeconfig)) }

    /// Stops the server and closes the store; `changeWhileDown` then writes to the store file
    /// through a server-less pipeline, and the server starts again on the same port.
    func restart(changeWhileDown: ((RequestPipeline, SQLiteStore) async throws -> Void)? = nil) async throws {
        await server.shutdown()
        store.close()
        store = try SQLiteStore(path: storePath, options: Self.storeOptions)
        if let changeWhileDown {
            let pipeline = RequestPipeline(resources: ResourceHandler(store: store, bookmarkInterval: .seconds(60)),
                                           authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
            try await changeWhileDown(pipeline, store)
        }
        for attempt in 1... {
            server = Self.makeServer(store: store, port: port, pki: pki)
            do {
                _ = try await server.start()
                return
            } catch {
                await server.shutdown()
                if attempt == 20 { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func stop() async {
        await server.shutdown()
        store.close()
    }
}

/// Runs `body` with a fresh server and an admin client; both are stopped afterwards, even on throw.
func withServer<T>(_ body: (ServerFixture, KubeClient) async throws -> T) async throws -> T {
    let fixture = try await ServerFixture()
    let client: KubeClient
    do { client = try fixture.client() } catch { await fixture.stop(); throw error }
    do {
        let result = try await body(fixture, client)
        await client.shutdown()
        await fixture.stop()
        return result
    } catch {
        await client.shutdown()
        await fixture.stop()
        throw error
    }
}

extension RequestPipeline {
    /// Sends one request as the fixture's server-less writer; returns the HTTP status.
    @discardableResult
    func send(_ method: String, _ uri: String, _ body: String = "", contentType: String = "application/json") async -> Int {
        await handle(APIRequest(method: method, uri: uri, headers: ["content-type": contentType],
                                body: Array(body.utf8))).status
    }
}

/// Polls `condition` until it holds or `seconds` pass (a hang guard, not a timing assertion).
func poll(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    // A count of tries, not a wall-clock deadline: when other suites keep the two threads of the
    // concurrency pool busy, the work being waited for is delayed as much as this loop is, and
    // a deadline would expire without the condition ever getting its chance.
    for _ in 0..<Int(seconds * 50) {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A ConfigMap in `default` with one data key.
func configMap(_ name: String, _ value: String = "v", namespace: String = "default", labels: [String: String]? = nil) -> ConfigMap {
    var cm = ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels))
    cm.data = ["k": value]
    return cm
}
