import Foundation
import Testing
import TestSupport

/// `trellis apiserver` as a user runs it: the built binary, HTTPS with a generated CA, a token
/// in the kubeconfig, real kubectl verifying the certificate.
@Suite(.serialized) struct TrellisCommandTests {
    let binary = builtProductsDirectory + "/trellis"

    /// Starts the command and waits for its kubeconfig; returns the process and the server URL.
    func start(_ dir: String) throws -> (BackgroundProcess, String) {
        let log = dir + "/apiserver.log"
        // A restart must not be mistaken for ready by the previous run's files (old port).
        try? FileManager.default.removeItem(atPath: log)
        try? FileManager.default.removeItem(atPath: dir + "/admin.kubeconfig")
        let p = try BackgroundProcess(["sh", "-c", "exec \(binary) apiserver --data-dir \(dir) --listen 127.0.0.1:0 > \(log) 2>&1"])
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
}
