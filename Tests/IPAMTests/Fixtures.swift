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

/// A temporary directory removed, with everything in it, when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/ipam-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func contents(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(sub)")) ?? []).sorted()
    }
}
