// DNSWire: RFC 1035 codec. Placeholder until the module lands.
