import Foundation
import KubeAPI

/// Where a pod's service-account credentials live; overridable for tests.
public struct InClusterPaths: Sendable, Equatable {
    public var token: String
    public var certificateAuthority: String
    public var namespace: String

    public init(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
        token = directory + "/token"
        certificateAuthority = directory + "/ca.crt"
        namespace = directory + "/namespace"
    }

    public static let standard = InClusterPaths()
}

extension ClientConfig {
    /// The configuration of one context of a kubeconfig file (its current context when
    /// `context` is nil). Relative file paths in it are taken relative to the file's directory.
    public init(kubeconfigPath path: String, context: String? = nil) throws(KubeClientError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .config("cannot read \(path): \(error.localizedDescription)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        try self.init(kubeconfig: try KubeconfigFile(parsing: text, source: path), context: context,
                      baseDirectory: directory.isEmpty ? "." : directory, source: path)
    }

    /// The configuration of one context of a parsed kubeconfig.
    public init(kubeconfig file: KubeconfigFile, context: String? = nil, baseDirectory: String = ".",
                source: String = "kubeconfig") throws(KubeClientError) {
        guard let contextName = context ?? file.currentContext else {
            throw .config("\(source): current-context is not set and no context was given")
        }
        guard let ctx = file.contexts[contextName] else {
            throw .config("\(source): context \"\(contextName)\" not found in contexts")
        }
        guard let cluster = file.clusters[ctx.cluster] else {
            throw .config("\(source): cluster \"\(ctx.cluster)\" of context \"\(contextName)\" not found in clusters")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw .config("\(source): cluster \"\(ctx.cluster)\": server is missing")
        }
        self.init(server: server)
        _ = try endpoint()
        func resolved(_ p: String) -> String { p.hasPrefix("/") ? p : baseDirectory + "/" + p }
        let where_ = "\(source): cluster \"\(ctx.cluster)\""
        certificateAuthority = try Self.pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority.map(resolved),
                                            field: "\(where_): certificate-authority")
        insecureSkipTLSVerify = cluster.insecureSkipTLSVerify
        if insecureSkipTLSVerify && certificateAuthority != nil {
            throw .config("\(where_): certificate-authority and insecure-skip-tls-verify are mutually exclusive")
        }
        tlsServerName = cluster.tlsServerName
        if let userName = ctx.user, !userName.isEmpty {
            guard let user = file.users[userName] else {
                throw .config("\(source): user \"\(userName)\" of context \"\(contextName)\" not found in users")
            }
            let whereUser = "\(source): user \"\(userName)\""
            if let unsupported = user.unsupportedAuth, user.token == nil, user.tokenFile == nil,
               user.clientCertificate == nil, user.clientCertificateData == nil {
                throw .config("\(whereUser): \(unsupported) credentials are not supported; use a token or client certificate")
            }
            bearerToken = user.token.flatMap { $0.isEmpty ? nil : $0 }
            bearerTokenFile = user.tokenFile.map(resolved)
            clientCertificate = try Self.pem(data: user.clientCertificateData, file: user.clientCertificate.map(resolved),
                                             field: "\(whereUser): client-certificate")
            clientKey = try Self.pem(data: user.clientKeyData, file: user.clientKey.map(resolved), field: "\(whereUser): client-key")
            if (clientCertificate == nil) != (clientKey == nil) {
                throw .config("\(whereUser): client-certificate and client-key must be given together")
            }
        }
        if let ns = ctx.namespace, !ns.isEmpty { namespace = ns }
    }

    /// The configuration of a pod: its service account's token and CA and the
    /// `KUBERNETES_SERVICE_HOST`/`_PORT` environment.
    public static func inCluster(paths: InClusterPaths = .standard,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeClientError) -> ClientConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .config("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        guard FileManager.default.isReadableFile(atPath: paths.token) else {
            throw .config("in-cluster: cannot read the service-account token \(paths.token)")
        }
        var config = ClientConfig(server: "https://\(host.contains(":") ? "[\(host)]" : host):\(port)")
        _ = try config.endpoint()
        config.bearerTokenFile = paths.token
        config.certificateAuthority = try pem(data: nil, file: paths.certificateAuthority, field: "in-cluster: ca.crt")
        if let ns = try? String(contentsOfFile: paths.namespace, encoding: .utf8) {
            let trimmed = ns.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { config.namespace = trimmed }
        }
        return config
    }

    /// Picks a configuration the way client-go does: an explicit `--kubeconfig` path, then the
    /// first existing file of `$KUBECONFIG` (a `:`-separated list; files are not merged), then the
    /// in-cluster service account, then `~/.kube/config`. `context` overrides the current context.
    public static func resolve(kubeconfigPath: String? = nil, context: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               inClusterPaths: InClusterPaths = .standard) throws(KubeClientError) -> ClientConfig {
        if let path = kubeconfigPath, !path.isEmpty { return try ClientConfig(kubeconfigPath: path, context: context) }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init)
            guard let path = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw .config("KUBECONFIG=\(list): no such file")
            }
            return try ClientConfig(kubeconfigPath: path, context: context)
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil, FileManager.default.fileExists(atPath: inClusterPaths.token) {
            return try inCluster(paths: inClusterPaths, environment: environment)
        }
        if let home = environment["HOME"], FileManager.default.fileExists(atPath: home + "/.kube/config") {
            return try ClientConfig(kubeconfigPath: home + "/.kube/config", context: context)
        }
        throw .config("no configuration: pass --kubeconfig, set KUBECONFIG, run in a pod, or create ~/.kube/config")
    }

    /// PEM bytes from base64 `data` or from `file`, checked to look like PEM.
    static func pem(data: String?, file: String?, field: String) throws(KubeClientError) -> [UInt8]? {
        var bytes: [UInt8]
        if let data, !data.isEmpty {
            let compact = data.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw .config("\(field)-data is not valid base64")
            }
            bytes = [UInt8](decoded)
        } else if let file, !file.isEmpty {
            guard let contents = FileManager.default.contents(atPath: file) else { throw .config("\(field): cannot read \(file)") }
            bytes = [UInt8](contents)
        } else {
            return nil
        }
        guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN ") else {
            throw .config("\(field) is not PEM")
        }
        return bytes
    }
}
