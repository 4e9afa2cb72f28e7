import Foundation
import NetAddr
import NetNS
import Netlink
import Testing
import TestSupport

/// Runs `ip -n NS ARGS` on a fresh OS thread, so the test thread can block in a wait.
func ipInBackground(_ ns: ScratchNamespace, _ args: [String]) {
    let name = ns.name
    Thread { _ = try? shell(["ip", "-n", name] + args) }.start()
}

@Suite(.enabled(if: isRoot, kernelReason))
struct EventTests {
    /// The predicate's first call happens after the subscription: bringing the link up from
    /// there proves the event is not lost between the check and the wait.
    @Test func waitForLinkSeesItComeUp() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        var calls = 0
        let link = try nl.waitForLink(named: "a0", timeout: .seconds(10)) { link in
            calls += 1
            if calls == 1 { ipInBackground(ns, ["link", "set", "a0", "up"]) }
            return link.isUp
        }
        #expect(link.isUp)
        #expect(calls >= 2)
    }

    @Test func waitForLinkThatIsCreatedLater() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        var started = false
        ipInBackground(ns, ["link", "add", "late0", "type", "veth", "peer", "name", "late1"])
        let link = try nl.waitForLink(named: "late0", timeout: .seconds(10)) { _ in
            started = true
            return true
        }
        #expect(started && link.kind == "veth")
        let byIndex = try nl.waitForLink(index: link.index, timeout: .seconds(1)) { $0.name == "late0" }
        #expect(byIndex.index == link.index)
    }

    @Test func waitForLinkTimesOut() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        let start = ContinuousClock.now
        let error = failure { () throws(NetlinkError) in
            _ = try nl.waitForLink(named: "ghost0", timeout: .milliseconds(300)) { _ in true }
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.errno == ETIMEDOUT)
        #expect(error?.description == "wait link ghost0: Connection timed out")
        // It waited for the timeout; the upper bound only catches a wait that ignores it
        // (a wide margin, so load cannot fail the test).
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(60))
    }

    /// Duplicate address detection over a veth with both ends up: the address starts
    /// tentative and the wait returns once DAD has passed.
    @Test func waitForIPv6AddressToLeaveTentative() throws {
        let ns = try ScratchNamespace()
        let nl = try RTNetlink(in: ns.netns)
        try nl.linkAdd(.veth(name: "a0", peer: VethPeer(name: "b0")))
        let a0 = try nl.index("a0")
        try nl.linkSetUp(index: try nl.index("b0"))
        try nl.linkSetUp(index: a0)
        _ = try nl.waitForLink(index: a0, timeout: .seconds(5)) { $0.hasCarrier }
        let ip = IPAddress("fd00:5::1")!
        try nl.addrAdd(IPPrefix(address: ip, length: 64), index: a0)
        #expect(try nl.addrList(family: .v6, index: a0).first { $0.prefix.address == ip }?.isTentative == true)
        let ready = try nl.waitForAddressReady(ip, index: a0, timeout: .seconds(10))
        #expect(!ready.isTentative)
        let flags = try ns.ipJSON(["-6", "addr", "show", "dev", "a0"]).first?["addr_info"] as? [[String: Any]]
        #expect(flags?.first { $0["local"] as? String == "fd00:5::1" }?["tentative"] == nil)
    }
}
