import CNI
import Foundation
import IPAM
import NetAddr

/// A whole network config around an `ipam` object written as JSON text.
func networkConfig(_ ipam: String, name: String = "testnet", extra: String = "") -> [UInt8] {
    Array(#"{"cniVersion":"1.1.0","name":"\#(name)","type":"bridge"\#(extra),"ipam":\#(ipam)}"#.utf8)
}

/// Parses a config, failing the test with the CNI error's text if it is rejected.
func ipamConfig(_ ipam: String, name: String = "testnet", extra: String = "",
                args: [(String, String)] = []) throws -> IPAMConfig {
    try IPAMConfig(networkConfig: networkConfig(ipam, name: name, extra: extra), cniArgs: args)
}

/// `[[{"subnet":…}],…]` as an `ipam` object with one range set per subnet.
func rangesJSON(_ sets: [[String]]) -> String {
    let body = sets.map { set in "[" + set.map { #"{"subnet":"\#($0)"}"# }.joined(separator: ",") + "]" }
    return #"{"type":"host-local","ranges":[\#(body.joined(separator: ","))]}"#
}

func ip(_ text: String) -> IPAddress { IPAddress(text)! }

/// Runs `body` and returns the CNI error it throws, or nil.
func cniError(_ body: () throws -> Void) -> CNIError? {
    do { try body(); return nil } catch let e as CNIError { return e } catch { return CNIError(999, "\(error)") }
}

/// Runs `body` with a fresh directory under /tmp that is removed afterwards, even on throw.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/ipam-test-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw CNIError(5, "mkdtemp failed")
    }
    let path = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// The names in a directory, sorted; empty if it does not exist.
func directoryContents(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
