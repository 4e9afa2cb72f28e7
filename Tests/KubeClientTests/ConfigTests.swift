import APIServer
import Foundation
import KubeAPI
@testable import KubeClient
import TestSupport
import Testing

/// A CA-looking PEM, base64'd as a kubeconfig's `-data` fields hold it.
private let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
private let pemData = Data(pem.utf8).base64EncodedString()

/// What `kind create cluster` / `kubectl config` write: sequences at their key's indentation,
/// `- cluster:` items, `preferences: {}`, quoted and plain scalars, comments.
private let kubectlStyle = """
    apiVersion: v1
    clusters:
    - cluster:
        certificate-authority-data: \(pemData)
        server: https://127.0.0.1:36443
      name: kind-kind
    - cluster:
        insecure-skip-tls-verify: true
        server: "https://10.0.0.1:6443"   # a comment
      name: 'lab'
    contexts:
    - context:
        cluster: kind-kind
        user: kind-kind
      name: kind-kind
    - context:
        cluster: lab
        namespace: team-a
        user: token-user
      name: lab
    current-context: kind-kind
    kind: Config
    preferences: {}
    users:
    - name: kind-kind
      user:
        client-certificate-data: \(pemData)
        client-key-data: \(Data("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n".utf8).base64EncodedString())
    - name: token-user
      user:
        token: abc.def
    """

@Suite struct ConfigTests {
    @Test func kubectlStyleYAMLCurrentContext() throws {
        let file = try KubeconfigFile(parsing: kubectlStyle)
        #expect(file.currentContext == "kind-kind")
        let config = try ClientConfig(kubeconfig: file)
        #expect(config.server == "https://127.0.0.1:36443")
        #expect(config.certificateAuthority == Array(pem.utf8))
        #expect(config.clientCertificate == Array(pem.utf8))
        #expect(config.clientKey != nil)
        #expect(config.bearerToken == nil)
        #expect(config.namespace == "default")
        #expect(try config.endpoint() == ServerEndpoint(parsing: "https://127.0.0.1:36443"))
    }

    @Test func namedContext() throws {
        let config = try ClientConfig(kubeconfig: try KubeconfigFile(parsing: kubectlStyle), context: "lab")
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.insecureSkipTLSVerify)
        #expect(config.bearerToken == "abc.def")
        #expect(config.namespace == "team-a")
    }

    @Test func ourOwnKubeconfigAndJSON() throws {
        let ours = Kubeconfig.admin(server: "https://127.0.0.1:6443", token: BearerToken("t0k"), certificateAuthority: pem)
        let config = try ClientConfig(kubeconfig: try KubeconfigFile(parsing: ours))
        #expect(config.bearerToken == "t0k")
        #expect(config.certificateAuthority == Array(pem.utf8))
        let json = """
            {
              "kind": "Config", "apiVersion": "v1", "current-context": "c",
              "clusters": [{"name": "k", "cluster": {"server": "http://127.0.0.1:8080"}}],
              "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
              "users": [{"name": "u", "user": {"tokenFile": "/run/token"}}]
            }
            """
        let fromJSON = try ClientConfig(kubeconfig: try KubeconfigFile(parsing: json))
        #expect(fromJSON.server == "http://127.0.0.1:8080")
        #expect(fromJSON.bearerTokenFile == "/run/token")
    }

    @Test func yamlSubset() throws {
        let value = try YAML.parse("""
            # leading comment
            ---
            a: 1
            b: "x: y # not a comment"
            c: 'it''s'
            d:
              - one
              - [two, "three"]
              - {k: v, n: null}
              -
                e: true
            f: |
              line1
              line2
            g: ~
            """)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .string("x: y # not a comment"))
        #expect(value["c"] == .string("it's"))
        #expect(value["d"] == .array(["one", ["two", "three"], ["k": "v", "n": .null], ["e": true]]))
        #expect(value["f"] == .string("line1\nline2\n"))
        #expect(value["g"] == .null)
    }

    @Test(arguments: [
        ("a: 1\n  b: 2\n", "line 2"),
        ("a: \"open\n", "unterminated"),
        ("a: &anchor x\n", "anchors"),
        ("a: 1\na: 2\n", "duplicate key"),
    ])
    func yamlErrorsNameTheLine(text: String, expected: String) {
        #expect { try YAML.parse(text) } throws: { "\($0)".contains(expected) }
    }

    @Test(arguments: [
        ("current-context: nope\nclusters: []\ncontexts: []\n", "context \"nope\" not found"),
        ("clusters:\n- name: a\n  cluster: {}\ncontexts:\n- name: c\n  context: {cluster: a}\ncurrent-context: c\n", "server is missing"),
        ("clusters:\n- name: a\n  cluster: {server: 'https://h', certificate-authority-data: '!!!'}\ncontexts:\n- name: c\n  context: {cluster: a}\ncurrent-context: c\n",
         "certificate-authority-data is not valid base64"),
        ("clusters:\n- cluster: {server: 'https://h'}\n", "clusters[0].name is missing"),
        ("clusters: 3\n", "clusters must be a list"),
        ("clusters:\n- name: a\n  cluster: {server: 'https://h', insecure-skip-tls-verify: maybe}\n",
         "clusters[0].cluster.insecure-skip-tls-verify must be true or false"),
        ("clusters:\n- name: a\n  cluster: {server: 'ftp://h'}\ncontexts:\n- name: c\n  context: {cluster: a}\ncurrent-context: c\n",
         "only http and https"),
        ("clusters:\n- name: a\n  cluster: {server: 'https://h'}\ncontexts:\n- name: c\n  context: {cluster: a, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec: {command: aws}\n",
         "users[0].user.exec credentials are not supported"),
    ])
    func badConfigNamesTheField(text: String, expected: String) {
        #expect {
            try ClientConfig(kubeconfig: try KubeconfigFile(parsing: text))
        } throws: { error in
            let ok = "\(error)".contains(expected)
            if !ok { print("got: \(error)") }
            return ok
        }
    }

    @Test func inClusterAndResolveOrder() throws {
        let dir = try ScratchDirectory()
        let sa = dir.path + "/sa"
        try FileManager.default.createDirectory(atPath: sa, withIntermediateDirectories: true)
        try "sa-token\n".write(toFile: sa + "/token", atomically: true, encoding: .utf8)
        try pem.write(toFile: sa + "/ca.crt", atomically: true, encoding: .utf8)
        try "kube-system\n".write(toFile: sa + "/namespace", atomically: true, encoding: .utf8)
        let paths = InClusterPaths(directory: sa)
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": dir.path]

        let inCluster = try ClientConfig.inCluster(paths: paths, environment: env)
        #expect(inCluster.server == "https://10.96.0.1:443")
        #expect(inCluster.bearerTokenFile == sa + "/token")
        #expect(inCluster.namespace == "kube-system")
        #expect(TokenSource(token: nil, file: sa + "/token").token == "sa-token")
        #expect(throws: KubeClientError.self) { try ClientConfig.inCluster(paths: paths, environment: [:]) }

        let explicit = dir.path + "/explicit", fromEnv = dir.path + "/env"
        try kubectlStyle.write(toFile: explicit, atomically: true, encoding: .utf8)
        try kubectlStyle.replacingOccurrences(of: "current-context: kind-kind", with: "current-context: lab")
            .write(toFile: fromEnv, atomically: true, encoding: .utf8)
        // Explicit path beats $KUBECONFIG, which beats in-cluster, which beats ~/.kube/config.
        var envWithKubeconfig = env
        envWithKubeconfig["KUBECONFIG"] = dir.path + "/missing:" + fromEnv
        #expect(try ClientConfig.resolve(kubeconfigPath: explicit, environment: envWithKubeconfig, inClusterPaths: paths).server
            == "https://127.0.0.1:36443")
        #expect(try ClientConfig.resolve(environment: envWithKubeconfig, inClusterPaths: paths).server == "https://10.0.0.1:6443")
        #expect(try ClientConfig.resolve(environment: env, inClusterPaths: paths).server == "https://10.96.0.1:443")
        try FileManager.default.createDirectory(atPath: dir.path + "/.kube", withIntermediateDirectories: true)
        try kubectlStyle.write(toFile: dir.path + "/.kube/config", atomically: true, encoding: .utf8)
        #expect(try ClientConfig.resolve(environment: ["HOME": dir.path], inClusterPaths: paths).server == "https://127.0.0.1:36443")
        #expect(try ClientConfig.resolve(context: "lab", environment: ["HOME": dir.path], inClusterPaths: paths).namespace == "team-a")
        #expect(throws: KubeClientError.self) { try ClientConfig.resolve(environment: [:], inClusterPaths: paths) }
    }

    @Test func relativeFilePathsAreFromTheKubeconfigDirectory() throws {
        let dir = try ScratchDirectory()
        try pem.write(toFile: dir.path + "/ca.pem", atomically: true, encoding: .utf8)
        try """
            clusters:
            - name: a
              cluster:
                server: https://localhost:6443
                certificate-authority: ca.pem
            contexts:
            - name: c
              context:
                cluster: a
            current-context: c
            """.write(toFile: dir.path + "/config", atomically: true, encoding: .utf8)
        let config = try ClientConfig(kubeconfigPath: dir.path + "/config")
        #expect(config.certificateAuthority == Array(pem.utf8))
    }

    @Test func serverURLs() throws {
        #expect(try ServerEndpoint(parsing: "https://[::1]:6443/prefix/") ==
            { var e = try ServerEndpoint(parsing: "https://h"); e.host = "::1"; e.port = 6443; e.pathPrefix = "/prefix"; return e }())
        #expect(try ServerEndpoint(parsing: "http://h").port == 80)
        #expect(try ServerEndpoint(parsing: "h:8443").tls)
        #expect(throws: KubeClientError.self) { try ServerEndpoint(parsing: "https://h:99999") }
    }
}
