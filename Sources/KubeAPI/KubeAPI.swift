// KubeAPI: Kubernetes object model. Placeholder until the module lands.
