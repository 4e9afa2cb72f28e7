import Foundation
import KubeAPI

/// The parts of a kubeconfig file (`kind: Config`) the client uses: named clusters, users and
/// contexts and the current context. Read from YAML or JSON; unknown keys are ignored.
public struct KubeconfigFile: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify = false
        public var tlsServerName: String?
    }

    public struct User: Sendable, Equatable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        /// Present when the user authenticates with an exec plugin or auth provider, which
        /// this client does not run.
        public var unsupportedAuth: String?
    }

    public struct Context: Sendable, Equatable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    public var clusters: [String: Cluster] = [:]
    public var users: [String: User] = [:]
    public var contexts: [String: Context] = [:]
    public var currentContext: String?

    /// Parses kubeconfig text. `source` names the file in errors.
    public init(parsing text: String, source: String = "kubeconfig") throws(KubeClientError) {
        let root: JSONValue
        do { root = try YAML.parse(text) } catch { throw .config("\(source): \(error)") }
        let fields = FieldReader(source: source)
        guard case .object = root else { throw .config("\(source): not a kubeconfig (expected a mapping at the top)") }
        if let kind = try fields.string(root["kind"], "kind"), kind != "Config" {
            throw .config("\(source): kind is \"\(kind)\", expected \"Config\"")
        }
        currentContext = try fields.string(root["current-context"], "current-context").flatMap { $0.isEmpty ? nil : $0 }
        for (i, entry, name) in try fields.named(root["clusters"], "clusters") {
            let path = "clusters[\(i)].cluster"
            let c = entry["cluster"] ?? .null
            guard case .object = c else { throw .config("\(source): \(path) is missing") }
            var cluster = Cluster()
            cluster.server = try fields.string(c["server"], path + ".server")
            cluster.certificateAuthority = try fields.string(c["certificate-authority"], path + ".certificate-authority")
            cluster.certificateAuthorityData = try fields.string(c["certificate-authority-data"], path + ".certificate-authority-data")
            cluster.insecureSkipTLSVerify = try fields.bool(c["insecure-skip-tls-verify"], path + ".insecure-skip-tls-verify")
            cluster.tlsServerName = try fields.string(c["tls-server-name"], path + ".tls-server-name")
            clusters[name] = cluster
        }
        for (i, entry, name) in try fields.named(root["users"], "users") {
            let path = "users[\(i)].user"
            let u = entry["user"] ?? .object([:])
            var user = User()
            user.token = try fields.string(u["token"], path + ".token")
            user.tokenFile = try fields.string(u["tokenFile"], path + ".tokenFile")
            user.clientCertificate = try fields.string(u["client-certificate"], path + ".client-certificate")
            user.clientCertificateData = try fields.string(u["client-certificate-data"], path + ".client-certificate-data")
            user.clientKey = try fields.string(u["client-key"], path + ".client-key")
            user.clientKeyData = try fields.string(u["client-key-data"], path + ".client-key-data")
            if u["exec"].map({ $0 != .null }) == true { user.unsupportedAuth = path + ".exec" }
            if u["auth-provider"].map({ $0 != .null }) == true { user.unsupportedAuth = path + ".auth-provider" }
            users[name] = user
        }
        for (i, entry, name) in try fields.named(root["contexts"], "contexts") {
            let path = "contexts[\(i)].context"
            let c = entry["context"] ?? .null
            guard case .object = c else { throw .config("\(source): \(path) is missing") }
            guard let cluster = try fields.string(c["cluster"], path + ".cluster"), !cluster.isEmpty else {
                throw .config("\(source): \(path).cluster is missing")
            }
            contexts[name] = Context(cluster: cluster, user: try fields.string(c["user"], path + ".user"),
                                     namespace: try fields.string(c["namespace"], path + ".namespace"))
        }
    }
}

/// Typed access to kubeconfig fields with errors that name the field.
private struct FieldReader {
    var source: String

    func string(_ value: JSONValue?, _ path: String) throws(KubeClientError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let n)?: return String(n)
        case .bool(let b)?: return String(b)
        default: throw .config("\(source): \(path) must be a string")
        }
    }

    func bool(_ value: JSONValue?, _ path: String) throws(KubeClientError) -> Bool {
        switch value {
        case nil, .null?: return false
        case .bool(let b)?: return b
        case .string("true")?: return true
        case .string("false")?: return false
        default: throw .config("\(source): \(path) must be true or false")
        }
    }

    /// The entries of `clusters`/`users`/`contexts`: each a mapping with a unique `name`.
    func named(_ value: JSONValue?, _ path: String) throws(KubeClientError) -> [(Int, JSONValue, String)] {
        let items: [JSONValue]
        switch value {
        case nil, .null?: return []
        case .array(let a)?: items = a
        default: throw .config("\(source): \(path) must be a list")
        }
        var seen = Set<String>()
        var result: [(Int, JSONValue, String)] = []
        for (i, item) in items.enumerated() {
            guard case .object = item else { throw .config("\(source): \(path)[\(i)] must be a mapping") }
            guard let name = try string(item["name"], "\(path)[\(i)].name"), !name.isEmpty else {
                throw .config("\(source): \(path)[\(i)].name is missing")
            }
            guard seen.insert(name).inserted else { throw .config("\(source): \(path)[\(i)].name \"\(name)\" is duplicated") }
            result.append((i, item, name))
        }
        return result
    }
}
