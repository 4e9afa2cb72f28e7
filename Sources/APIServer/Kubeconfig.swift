/// The kubeconfig of the admin user of a local, plain-HTTP server.
public enum Kubeconfig {
    /// YAML with one cluster, one (dummy, unauthenticated) user and one current context.
    public static func admin(server: String, cluster: String = "trellis") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(cluster)
          cluster:
            server: \(server)
        users:
        - name: admin
          user:
            username: admin
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
