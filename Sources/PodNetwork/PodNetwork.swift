// PodNetwork: see docs/ARCHITECTURE.md. Placeholder until the module lands.
