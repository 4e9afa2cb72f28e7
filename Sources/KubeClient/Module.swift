/// Kubernetes API client (issue 3): see docs/ARCHITECTURE.md.
enum KubeClientModule {}
