import Foundation
import Testing
import NetAddr
import NetNS
import Netlink
import TestSupport

/// The one `ip -j` object describing `name`, or nil.
func ipLink(_ ns: ScratchNamespace, _ name: String, details: Bool = false) throws -> [String: Any]? {
    let args = (details ? ["-d"] : []) + ["link", "show", "dev", name]
    let out = try shell(["ip", "-j", "-n", ns.name] + args, check: false)
    guard out.status == 0 else { return nil }
    let data = Data(out.stdout.utf8)
    return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]])?.first
}

/// `bridge -j -n NS ARGS` decoded.
func bridgeJSON(_ ns: ScratchNamespace, _ args: [String]) throws -> [[String: Any]] {
    let out = try shell(["bridge", "-j", "-n", ns.name] + args).stdout
    let trimmed = out.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return [] }
    return (try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]]) ?? []
}

/// Runs `ip -n NS ARGS`.
func ip(_ ns: ScratchNamespace, _ args: String...) throws {
    try shell(["ip", "-n", ns.name] + args)
}

extension RTNetlink {
    /// The index of `name`, failing the test when it is missing.
    func index(_ name: String) throws -> Int {
        guard let link = try linkGet(named: name) else {
            throw NetlinkError("test", name, errno: ENODEV)
        }
        return link.index
    }
}

let kernelReason: Comment = "needs root to create network namespaces"

/// The error `body` throws, or nil when it succeeds.
func failure(_ body: () throws(NetlinkError) -> Void) -> NetlinkError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}
