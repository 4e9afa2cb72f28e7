import CNI
import Foundation
import IPAM
import NetAddr
import Testing

@Suite struct IPAMPluginTests {
    static let dualStack = networkConfig(#"""
        {"type":"host-local","ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/120"}]],
         "routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"fd00::1"}]}
        """#)

    @Test func addReturnsAddressesRoutesAndDNS() throws {
        let result = try withTemporaryDirectory { dir in
            let resolv = "\(dir)/resolv.conf"
            try "nameserver 10.96.0.10\nsearch svc.cluster.local\noptions ndots:5\n".write(toFile: resolv, atomically: false, encoding: .utf8)
            let config = networkConfig(#"{"subnet":"10.1.0.0/24","gateway":"10.1.0.254","resolvConf":"\#(resolv)","routes":[{"dst":"0.0.0.0/0"}]}"#)
            return try IPAMPlugin(store: MemoryStore()).add(config: config, containerID: "c0", ifName: "eth0")
        }
        #expect(result == CNIResult(cniVersion: "1.1.0",
                                    ips: [CNIResult.IPConfig(address: IPPrefix("10.1.0.1/24")!, gateway: ip("10.1.0.254"))],
                                    routes: [CNIResult.Route(dst: IPPrefix("0.0.0.0/0")!)],
                                    dns: CNIResult.DNS(nameservers: ["10.96.0.10"], search: ["svc.cluster.local"], options: ["ndots:5"])))
    }

    @Test func missingResolvConfChangesNothing() throws {
        let store = MemoryStore()
        let config = networkConfig(#"{"subnet":"10.1.0.0/24","resolvConf":"/nonexistent/resolv.conf"}"#)
        let e = cniError { _ = try IPAMPlugin(store: store).add(config: config, containerID: "c0", ifName: "eth0") }
        #expect(e?.code == CNIError.ioFailure)
        #expect(e?.msg.hasPrefix("resolvConf /nonexistent/resolv.conf: open /nonexistent/resolv.conf: No such file") == true)
        #expect(store.writes == 0)
    }

    @Test func cniArgsRequestAnAddress() throws {
        let plugin = IPAMPlugin(store: MemoryStore())
        let r = try plugin.add(config: Self.dualStack, containerID: "c0", ifName: "eth0",
                               args: [("IgnoreUnknown", "1"), ("K8S_POD_NAME", "web"), ("IP", "fd00::42,10.1.0.42")])
        #expect(r.ips.map { "\($0.address)" } == ["10.1.0.42/24", "fd00::42/120"])
        #expect(r.routes.count == 2)
    }

    @Test func failedWriteLeavesStateAndNextAddWorks() throws {
        let store = MemoryStore()
        let plugin = IPAMPlugin(store: store)
        store.failWrite(1)
        let e = cniError { _ = try plugin.add(config: Self.dualStack, containerID: "c0", ifName: "eth0") }
        #expect(e == CNIError(5, "injected failure of write 1"))
        #expect(store.state(of: "testnet") == AllocationState())
        let r = try plugin.add(config: Self.dualStack, containerID: "c0", ifName: "eth0")
        #expect(r.ips.map { "\($0.address)" } == ["10.1.0.2/24", "fd00::2/120"])
    }

    @Test func delIsIdempotentAndWritesNothingWhenNothingChanges() throws {
        let store = MemoryStore()
        let plugin = IPAMPlugin(store: store)
        _ = try plugin.add(config: Self.dualStack, containerID: "c0", ifName: "eth0")
        #expect(try plugin.del(config: Self.dualStack, containerID: "c0", ifName: "eth0").count == 2)
        let writes = store.writes
        #expect(try plugin.del(config: Self.dualStack, containerID: "c0", ifName: "eth0").isEmpty)
        #expect(try plugin.del(config: Self.dualStack, containerID: "unknown", ifName: "eth0").isEmpty)
        #expect(store.writes == writes)
    }

    @Test func checkFindsTheAllocation() throws {
        let plugin = IPAMPlugin(store: MemoryStore())
        _ = try plugin.add(config: Self.dualStack, containerID: "c0", ifName: "eth0")
        try plugin.check(config: Self.dualStack, containerID: "c0", ifName: "eth0")
        let e = cniError { try plugin.check(config: Self.dualStack, containerID: "c0", ifName: "eth1") }
        #expect(e == CNIError(104, "network testnet: c0/eth1 holds no address in range set 0 (10.1.0.1-10.1.0.254)"))
    }

    @Test func emptyContainerIDIsRejected() {
        let e = cniError { _ = try IPAMPlugin(store: MemoryStore()).add(config: Self.dualStack, containerID: "", ifName: "eth0") }
        #expect(e == CNIError(4, "container ID is empty"))
    }

    @Test func gcReportsWhatItReleased() throws {
        let plugin = IPAMPlugin(store: MemoryStore())
        let config = try IPAMConfig(networkConfig: Self.dualStack)
        for i in 0..<3 { _ = try plugin.add(config: config, containerID: "c\(i)", ifName: "eth0") }
        let released = try plugin.gc(config: config, validAttachments: [ContainerAttachment(containerID: "c1", ifName: "eth0")])
        #expect(released.map(\.description) == ["10.1.0.2 c0 eth0", "10.1.0.4 c2 eth0", "fd00::2 c0 eth0", "fd00::4 c2 eth0"])
        #expect(try plugin.list(config: config).map(\.description) == ["10.1.0.3 c1 eth0", "fd00::3 c1 eth0"])
    }

    @Test func statusReportsExhaustionAndUnwritableStore() throws {
        let store = MemoryStore()
        let plugin = IPAMPlugin(store: store)
        let config = try ipamConfig(rangesJSON([["10.1.0.0/24"], ["fd00::/126"]]))
        try plugin.status(config: config)
        _ = try plugin.add(config: config, containerID: "c0", ifName: "eth0")
        try plugin.status(config: config)
        _ = try plugin.add(config: config, containerID: "c1", ifName: "eth0")
        let e = cniError { try plugin.status(config: config) }
        #expect(e == CNIError(50, "network testnet: no free address in range set 1 (fd00::1-fd00::3)"))
        store.setUnwritable(true)
        #expect(cniError { try plugin.status(config: config) }?.code == CNIError.notAvailable)
    }
}
