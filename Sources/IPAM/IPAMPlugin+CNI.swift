import CNI

/// `trellis-ipam` as a CNI plugin: the CNI verbs over `IPAMPlugin`.
extension IPAMPlugin: CNIPlugin {
    public var about: String { "trellis-ipam: host-local compatible IPAM with a crash-safe store (Trellis)" }

    public func add(_ call: CNICall) throws(CNIError) -> CNIResult {
        try add(config: call.stdin, containerID: call.containerID, ifName: call.ifName, args: pairs(call))
    }

    public func del(_ call: CNICall) throws(CNIError) {
        try del(config: call.stdin, containerID: call.containerID, ifName: call.ifName, args: pairs(call))
    }

    public func check(_ call: CNICall) throws(CNIError) {
        try check(config: call.stdin, containerID: call.containerID, ifName: call.ifName, args: pairs(call))
    }

    public func status(_ call: CNICall) throws(CNIError) {
        try status(config: IPAMConfig(networkConfig: call.stdin))
    }

    public func gc(_ call: CNICall) throws(CNIError) {
        let valid = (call.config.validAttachments ?? []).map {
            ContainerAttachment(containerID: $0.containerID, ifName: $0.ifName)
        }
        try gc(config: IPAMConfig(networkConfig: call.stdin), validAttachments: valid)
    }

    private func pairs(_ call: CNICall) -> [(String, String)] {
        call.args.pairs.map { ($0.key, $0.value) }
    }
}
