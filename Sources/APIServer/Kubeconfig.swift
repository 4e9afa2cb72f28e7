/// The kubeconfig of the admin user of a local, plain-HTTP server.
public enum Kubeconfig {
    /// YAML with one cluster, one user (with its bearer token, if given) and one current context.
    public static func admin(server: String, token: BearerToken? = nil, cluster: String = "trellis") -> String {
        let credential = token.map { "token: \($0.text)" } ?? "username: admin"
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(cluster)
          cluster:
            server: \(server)
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
