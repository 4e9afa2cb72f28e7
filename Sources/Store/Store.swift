// Store: revisioned object storage for the API server. Placeholder until the module lands.
