import Foundation

/// The kubeconfig of the admin user of a local, plain-HTTP server.
public enum Kubeconfig {
    /// YAML with one cluster, one user (with its bearer token, if given) and one current context.
    /// `certificateAuthority` is the PEM text of the CA that signed the server's certificate.
    public static func admin(server: String, token: BearerToken? = nil, certificateAuthority: String? = nil,
                             cluster: String = "trellis") -> String {
        let credential = token.map { "token: \($0.text)" } ?? "username: admin"
        let ca = certificateAuthority.map {
            "\n    certificate-authority-data: \(Data($0.utf8).base64EncodedString())"
        } ?? ""
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(cluster)
          cluster:
            server: \(server)\(ca)
        users:
        - name: admin
          user:
            \(credential)
        contexts:
        - name: \(cluster)
          context:
            cluster: \(cluster)
            user: admin
            namespace: default
        current-context: \(cluster)
        preferences: {}

        """
    }
}
