// APIServer: the Kubernetes REST API over HTTP. Placeholder until the module lands.
