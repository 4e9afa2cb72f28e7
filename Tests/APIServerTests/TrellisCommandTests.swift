import Foundation
import Testing
import TestSupport

/// `trellis apiserver` as a user runs it: the built binary, HTTPS with a generated CA, a token
/// in the kubeconfig, real kubectl verifying the certificate.
@Suite(.serialized) struct TrellisCommandTests {
    let binary = builtProductsDirectory + "/trellis"

    /// Starts the command and waits for its kubeconfig; returns the process and the server URL.
    func start(_ dir: String, listen: String = "127.0.0.1:0", extra: String = "") throws -> (BackgroundProcess, String) {
        let log = dir + "/apiserver.log"
        // A restart must not be mistaken for ready by the previous run's files (old port).
        try? FileManager.default.removeItem(atPath: log)
        try? FileManager.default.removeItem(atPath: dir + "/admin.kubeconfig")
        let p = try BackgroundProcess(["sh", "-c", "exec \(binary) apiserver --data-dir \(dir) --listen \(listen) \(extra) > \(log) 2>&1"])
        var url = ""
        let ready = eventually(timeout: 60) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            guard let r = text.range(of: "serving ") else { return false }
            url = String(text[r.upperBound...].prefix { $0 != ";" })
            return FileManager.default.fileExists(atPath: dir + "/admin.kubeconfig")
        }
        #expect(ready, "the server did not come up: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        return (p, url)
    }

    @Test func servesHTTPSWithTheGeneratedCAAndToken() throws {
        let dir = try ScratchDirectory()
        let (server, url) = try start(dir.path)
        #expect(url.hasPrefix("https://127.0.0.1:"), "\(url)")
        let kubectl = ["kubectl", "--kubeconfig", dir.path + "/admin.kubeconfig"]
        #expect(try shell(kubectl + ["get", "namespaces", "-o", "name"]).stdout.contains("namespace/default"))
        try shell(kubectl + ["create", "namespace", "demo"])
        #expect(try shell(kubectl + ["auth", "can-i", "*", "*"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
        // No credentials: 401, with the certificate verified against the cluster CA.
        let anonymous = try shell(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", dir.path + "/pki/ca.crt",
                                   url + "/api/v1/namespaces"])
        #expect(anonymous.stdout == "401")
        // The certificate is not trusted without the CA.
        let untrusted = try shell(["curl", "-s", "-o", "/dev/null", url + "/version"], check: false)
        #expect(untrusted.status != 0)
        // Keys are private.
        for key in ["pki/ca.key", "pki/apiserver.key", "tokens.csv", "admin.kubeconfig"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: dir.path + "/" + key)[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o077 == 0, "\(key) mode \(String(mode, radix: 8))")
        }
        server.signal(SIGTERM)
        #expect(server.wait() == 0, "graceful stop on SIGTERM")

        // A restart keeps the CA, the token and the data.
        let ca = try String(contentsOfFile: dir.path + "/pki/ca.crt", encoding: .utf8)
        let (again, _) = try start(dir.path)
        defer { again.stop() }
        #expect(try String(contentsOfFile: dir.path + "/pki/ca.crt", encoding: .utf8) == ca)
        #expect(try shell(kubectl + ["get", "namespace", "demo", "-o", "name"]).stdout.contains("namespace/demo"))
    }

    /// The official Python client lists, watches, and resumes its watch from the last
    /// resourceVersion after the API server is killed and restarted: no gap, no duplicate.
    @Test func pythonClientResumesAWatchAcrossARestart() throws {
        let dir = try ScratchDirectory()
        var (server, url) = try start(dir.path)
        let port = String(url.split(separator: ":").last ?? "")
        let kubectl = ["kubectl", "--kubeconfig", dir.path + "/admin.kubeconfig"]
        func createPod(_ name: String) throws {
            try shell(kubectl + ["create", "--validate=false", "-f", "-"], stdin: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)"},"spec":{"containers":[{"name":"c","image":"x"}]}}"#)
        }
        try createPod("before")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/watch_pods.py"
        let output = dir.path + "/watch.out"
        let watcher = try BackgroundProcess(["sh", "-c", "exec python3 \(script) --kubeconfig \(dir.path)/admin.kubeconfig --count 6 --timeout 90 > \(output) 2>&1"])
        defer { watcher.stop() }
        let text = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        #expect(eventually(timeout: 30) { text().contains("LISTED") }, "the client did not list: \(text())")
        try createPod("p1")
        try createPod("p2")
        #expect(eventually(timeout: 30) { text().contains("ADDED p2") }, "\(text())")
        // SIGKILL: no graceful close of the watch.
        server.signal(SIGKILL)
        _ = server.wait()
        (server, _) = try start(dir.path, listen: "127.0.0.1:" + port)
        defer { server.stop() }
        try createPod("p3")
        try shell(kubectl + ["delete", "pod", "p1"])
        try shell(kubectl + ["label", "pod", "p2", "x=y"])
        try createPod("p4")
        #expect(watcher.wait() == 0, "the client did not see every event: \(text())")
        let events = text().split(separator: "\n").filter { !$0.hasPrefix("LISTED") && !$0.hasPrefix("RECONNECT") }.map(String.init)
        #expect(events.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
                == ["ADDED p1", "ADDED p2", "ADDED p3", "DELETED p1", "MODIFIED p2", "ADDED p4"], "\(text())")
        let versions = events.compactMap { Int($0.split(separator: " ").last ?? "") }
        #expect(versions == versions.sorted() && Set(versions).count == versions.count, "versions rise strictly: \(versions)")
        #expect(text().contains("RECONNECT"), "the restart was noticed: \(text())")
    }

    /// `--etcd-servers` with a 3-member etcd: kubectl works, and keeps working (writes and a
    /// watch) with one member killed.
    @Test func servesFromEtcdAndSurvivesALostMember() throws {
        let etcd = try EtcdCluster(members: 3)
        defer { etcd.stop() }
        let dir = try ScratchDirectory()
        let (server, _) = try start(dir.path, extra: "--etcd-servers " + etcd.clientURLs.joined(separator: ","))
        defer { server.stop() }
        let kubectl = ["kubectl", "--kubeconfig", dir.path + "/admin.kubeconfig"]
        try shell(kubectl + ["create", "namespace", "on-etcd"])
        let watchOutput = dir.path + "/watch.out"
        let watch = try BackgroundProcess(["sh", "-c", "exec \(kubectl.joined(separator: " ")) get configmaps -n on-etcd -w -o name > \(watchOutput) 2>&1"])
        defer { watch.stop() }
        try shell(kubectl + ["create", "configmap", "one", "-n", "on-etcd"])
        etcd.kill(0)
        try shell(kubectl + ["create", "configmap", "two", "-n", "on-etcd"])
        try shell(kubectl + ["delete", "configmap", "one", "-n", "on-etcd"])
        let text = { (try? String(contentsOfFile: watchOutput, encoding: .utf8)) ?? "" }
        // Added one, added two, deleted one (`-o name` prints only names).
        #expect(eventually(timeout: 30) { text().split(separator: "\n").count >= 3 }, "\(text())")
        #expect(text().split(separator: "\n").map(String.init) == ["configmap/one", "configmap/two", "configmap/one"])
        #expect(try shell(kubectl + ["get", "configmaps", "-n", "on-etcd", "-o", "name"]).stdout.contains("configmap/two"))
        // Nothing went to SQLite.
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/store.sqlite"))
    }

    /// `--listen-in-netns`: the server also answers inside a network namespace (a lab host
    /// reaches it without any change to the host's network), with a certificate naming that address.
    @Test func listensInsideANetworkNamespace() throws {
        let lab = try ScratchNamespace("tlab")
        try lab.run(["ip", "link", "set", "lo", "up"])
        try lab.run(["ip", "addr", "add", "10.99.0.1/32", "dev", "lo"])
        let dir = try ScratchDirectory()
        let (server, _) = try start(dir.path, extra: "--listen-in-netns \(lab.path)=10.99.0.1:6443")
        defer { server.stop() }
        let inside = try lab.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", dir.path + "/pki/ca.crt",
                                  "https://10.99.0.1:6443/version"], check: false)
        #expect(inside.stdout == "200", "\(inside)")
        // The address exists only in the namespace.
        let outside = try shell(["curl", "-s", "--max-time", "1", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", dir.path + "/pki/ca.crt",
                                 "https://10.99.0.1:6443/version"], check: false)
        #expect(outside.stdout != "200")
    }
}
