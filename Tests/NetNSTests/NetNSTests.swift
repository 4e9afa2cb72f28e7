import Testing
import Foundation
import NetNS
import TestSupport

@Suite(.enabled(if: isRoot, "needs root for network namespaces"))
struct NetNSTests {
    @Test func createIsVisibleToIproute2AndDeleteRemovesIt() throws {
        let name = scratchName("tnsc")
        let ns = try NetNS.create(named: name)
        defer { try? NetNS.delete(named: name) }
        #expect(NetNS.list().contains(name))
        let listed = try shell(["ip", "netns", "list"]).stdout
        #expect(listed.contains(name))
        #expect(!ns.isSame(as: try NetNS.current()))
        try NetNS.delete(named: name)
        #expect(!NetNS.list().contains(name))
        #expect(!FileManager.default.fileExists(atPath: NetNS.path(named: name)))
    }

    @Test func createTwiceFailsWithEEXIST() throws {
        let ns = try ScratchNamespace()
        #expect(throws: NetNSError("create", ns.path, errno: EEXIST)) {
            _ = try NetNS.create(named: ns.name)
        }
    }

    @Test func withEnteredRunsInsideAndLeavesCallerAlone() throws {
        let ns = try ScratchNamespace()
        let before = try NetNS.current()
        let inside = try ns.netns.withEntered { try NetNS.current() }
        #expect(inside.isSame(as: ns.netns))
        #expect(try NetNS.current().isSame(as: before))
        // A namespace made here sees only its own loopback. /proc/net follows the main thread,
        // so read the entered thread's view.
        let links = try ns.netns.withEntered { try String(contentsOfFile: "/proc/thread-self/net/dev", encoding: .utf8) }
        #expect(links.contains("lo:"))
        #expect(links.split(separator: "\n").count == 3)
    }

    @Test func errorsPropagateFromInside() throws {
        let ns = try ScratchNamespace()
        struct Boom: Error {}
        #expect(throws: Boom.self) { try ns.netns.withEntered { throw Boom() } }
    }

    @Test(arguments: ["", ".", "..", "a/b"])
    func rejectsBadNames(name: String) {
        #expect(throws: NetNSError.self) { _ = try NetNS.create(named: name) }
    }

    @Test func openRejectsNonNamespaceFiles() {
        #expect(throws: NetNSError.self) { _ = try NetNS.open(path: "/etc/hostname") }
        #expect(throws: NetNSError.self) { _ = try NetNS.open(path: "/nonexistent/ns") }
    }
}
