import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

/// The REST client against the real in-process API server over TLS with tokens.
@Suite(.serialized) struct RESTTests {
    @Test func crudAndConflict() async throws {
        try await withServer { _, client in
            let created = try await client.create(configMap("one", labels: ["app": "web"]))
            #expect(created.name == "one")
            #expect(created.metadata.resourceVersion != nil)
            #expect(created.kind == "ConfigMap")

            var fetched = try await client.get(ConfigMap.self, name: "one")
            #expect(fetched.data == ["k": "v"])

            _ = try await client.create(configMap("two", labels: ["app": "db"]))
            let all = try await client.list(ConfigMap.self, namespace: "default")
            #expect(Set(all.items.map(\.name)).isSuperset(of: ["one", "two"]))
            #expect(all.metadata.resourceVersion != nil)
            let web = try await client.list(ConfigMap.self, namespace: "default", labelSelector: "app in (web)")
            #expect(web.items.map(\.name) == ["one"])
            let byName = try await client.list(ConfigMap.self, namespace: "default", fieldSelector: "metadata.name=two")
            #expect(byName.items.map(\.name) == ["two"])
            let paged = try await client.list(ConfigMap.self, namespace: "default", options: ListOptions(limit: 1))
            #expect(paged.items.count == all.items.count)

            let stale = fetched
            fetched.data = ["k": "v2"]
            let updated = try await client.update(fetched)
            #expect(updated.data == ["k": "v2"])
            #expect(updated.metadata.resourceVersion != stale.metadata.resourceVersion)

            // An update carrying the old resourceVersion is refused with 409 and the server's Status.
            var conflicting = stale
            conflicting.data = ["k": "lost"]
            await #expect { try await client.update(conflicting) } throws: { error in
                guard let e = error as? KubeClientError else { return false }
                return e.isConflict && e.code == 409 && e.reason == "Conflict" && (e.status?.message ?? "").contains("modified")
            }
            await #expect { try await client.create(configMap("one")) } throws: { ($0 as? KubeClientError)?.isAlreadyExists == true }

            let merged = try await client.patch(ConfigMap.self, name: "one", patch: ["data": ["extra": "x"]])
            #expect(merged.data == ["k": "v2", "extra": "x"])
            let patched = try await client.patch(ConfigMap.self, name: "one",
                                                 patch: [["op": "replace", "path": "/data/k", "value": "v3"]], type: .json)
            #expect(patched.data?["k"] == "v3")

            await #expect { try await client.delete(ConfigMap.self, name: "one", resourceVersion: stale.metadata.resourceVersion) }
                throws: { ($0 as? KubeClientError)?.code == 409 }
            try await client.delete(ConfigMap.self, name: "one")
            await #expect { try await client.get(ConfigMap.self, name: "one") } throws: { error in
                (error as? KubeClientError)?.isNotFound == true && (error as? KubeClientError)?.reason == "NotFound"
            }
            #expect(client.statistics.requests > 10)
        }
    }

    @Test func statusSubresourceAndClusterScope() async throws {
        try await withServer { _, client in
            var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"))
            pod.spec = PodSpec()
            pod.spec?.containers = [{ var c = Container(); c.name = "c"; c.image = "busybox"; return c }()]
            pod = try await client.create(pod)
            pod.status = PodStatus()
            pod.status?.phase = "Running"
            let withStatus = try await client.updateStatus(pod)
            #expect(withStatus.status?.phase == "Running")

            let ns = try await client.create(Namespace(metadata: ObjectMeta(name: "team-a")))
            #expect(ns.namespace == nil)
            let fetched = try await client.get(Namespace.self, name: "team-a")
            #expect(fetched.name == "team-a")
            // Across all namespaces.
            _ = try await client.create(configMap("elsewhere", namespace: "team-a"))
            let everywhere = try await client.list(ConfigMap.self)
            #expect(everywhere.items.contains { $0.name == "elsewhere" && $0.namespace == "team-a" })
        }
    }

    @Test func badTokenIs401WithStatus() async throws {
        try await withServer { fixture, _ in
            var config = try ClientConfig(kubeconfigPath: fixture.kubeconfig)
            config.bearerToken = "not-a-token"
            let client = try KubeClient(config: config)
            defer { Task { await client.shutdown() } }
            await #expect { try await client.list(ConfigMap.self) } throws: { error in
                guard let status = (error as? KubeClientError)?.status else { return false }
                return status.code == 401 && status.reason == "Unauthorized"
            }
            // A valid token without RBAC rights gets 403.
            config.bearerToken = ServerFixture.aliceToken
            let alice = try KubeClient(config: config)
            defer { Task { await alice.shutdown() } }
            await #expect { try await alice.list(ConfigMap.self) } throws: { ($0 as? KubeClientError)?.code == 403 }
        }
    }

    @Test func serverCertificateIsVerifiedAgainstTheCA() async throws {
        try await withServer { fixture, _ in
            let other = try TestPKI(dir: fixture.dir.path, name: "other")
            var config = try ClientConfig(kubeconfigPath: fixture.kubeconfig)
            config.certificateAuthority = Array(other.caPEM.utf8)
            let wrongCA = try KubeClient(config: config)
            await #expect { try await wrongCA.list(ConfigMap.self) } throws: { error in
                guard case .transport(let message)? = error as? KubeClientError else { return false }
                return message.contains("CERTIFICATE_VERIFY_FAILED") || message.contains("handshake") || message.contains("certificate")
            }
            await wrongCA.shutdown()
            // The same server, insecure-skip-tls-verify: accepted.
            config.certificateAuthority = nil
            config.insecureSkipTLSVerify = true
            let insecure = try KubeClient(config: config)
            #expect(try await insecure.list(Namespace.self).items.contains { $0.name == "default" })
            await insecure.shutdown()
        }
    }

    @Test func clientCertificateConfigLoads() async throws {
        let dir = try ScratchDirectory()
        let pki = try TestPKI(dir: dir.path)
        var config = ClientConfig(server: "https://127.0.0.1:1")
        config.certificateAuthority = Array(pki.caPEM.utf8)
        config.clientCertificate = Array(try String(contentsOfFile: pki.serverCertificate, encoding: .utf8).utf8)
        config.clientKey = Array(try String(contentsOfFile: pki.serverKey, encoding: .utf8).utf8)
        let client = try KubeClient(config: config)
        await client.shutdown()
        config.clientKey = Array("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n".utf8)
        #expect(throws: KubeClientError.self) { try KubeClient(config: config) }
    }

    @Test func bindingAssignsThePodToANode() async throws {
        try await withServer { _, client in
            var pod = Pod(metadata: ObjectMeta(name: "pending", namespace: "default"))
            pod.spec = PodSpec()
            pod.spec?.containers = [{ var c = Container(); c.name = "c"; c.image = "busybox"; return c }()]
            _ = try await client.create(pod)
            try await client.bind(pod: "pending", node: "node-1")
            #expect(try await client.get(Pod.self, name: "pending").spec?.nodeName == "node-1")
            await #expect { try await client.bind(pod: "nobody", node: "node-1") } throws: { ($0 as? KubeClientError)?.isNotFound == true }
        }
    }
}

/// A listening socket that never answers (connections wait in its backlog).
private final class SilentListener {
    let fd: Int32
    let port: Int
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }
    deinit { close(fd) }
}

@Suite(.serialized) struct TimeoutTests {
    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let silent = try SilentListener()
        var config = ClientConfig(server: "http://127.0.0.1:\(silent.port)")
        config.requestTimeout = .milliseconds(300)
        let client = try KubeClient(config: config)
        await #expect { try await client.get(ConfigMap.self, name: "x") } throws: { error in
            guard case .transport(let message)? = error as? KubeClientError else { return false }
            return message.contains("no response within 300 ms")
        }
        await client.shutdown()
        withExtendedLifetime(silent) {}
    }
}

@Suite(.serialized) struct KubectlKubeconfigTests {
    /// kubectl writes the kubeconfig (YAML, CA embedded); the client reads it and talks to the server.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
    func kubeconfigWrittenByKubectl() async throws {
        try await withServer { fixture, _ in
            let path = fixture.dir.path + "/kubectl.kubeconfig"
            let base = ["kubectl", "--kubeconfig", path, "config"]
            try shell(base + ["set-cluster", "lab", "--server=https://127.0.0.1:\(fixture.port)",
                              "--certificate-authority=\(fixture.pki.caCertificate)", "--embed-certs=true"])
            try shell(base + ["set-credentials", "admin", "--token=\(ServerFixture.adminToken)"])
            try shell(base + ["set-context", "lab", "--cluster=lab", "--user=admin", "--namespace=kube-system"])
            try shell(base + ["use-context", "lab"])
            let config = try ClientConfig.resolve(environment: ["KUBECONFIG": path])
            #expect(config.namespace == "kube-system")
            let client = try KubeClient(config: config)
            let created = try await client.create(configMap("from-kubectl-config", namespace: "kube-system"))
            #expect(created.namespace == "kube-system")
            #expect(try await client.get(ConfigMap.self, name: "from-kubectl-config").name == "from-kubectl-config")
            await client.shutdown()
        }
    }
}
