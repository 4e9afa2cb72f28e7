// IPAM: see docs/ARCHITECTURE.md. Placeholder until the module lands.
