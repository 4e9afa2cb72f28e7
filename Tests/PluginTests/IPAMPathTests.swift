import Foundation
import Testing
import TestSupport

/// trellis-ipam through the bridge plugin: fixed addresses, and in-process allocation giving
/// the same results as executing the binary.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct IPAMPathTests {
    @Test func fixedAddressFromCNIArgsAndCapability() throws {
        let lab = try BridgeLab()
        let viaArgs = try lab.call("ADD", pod: try lab.pod(), config: lab.config(), args: "IgnoreUnknown=1;IP=10.77.0.50")
        #expect(addresses(viaArgs) == ["10.77.0.50/24"], "\(viaArgs)")
        let withCapability = lab.config(extra: #""runtimeConfig":{"ips":["10.77.0.60/24"]}"#)
        let viaCapability = try lab.call("ADD", pod: try lab.pod(), config: withCapability)
        #expect(addresses(viaCapability) == ["10.77.0.60/24"], "\(viaCapability)")
        // A fixed address already in use is refused and nothing is created.
        let pod = try lab.pod()
        let taken = try lab.call("ADD", pod: pod, config: lab.config(), args: "IP=10.77.0.50")
        #expect(taken.errorCode == 11, "\(taken)")
        #expect(try pod.ipJSON(["link"]).count == 1)
    }

    @Test func inProcessAllocationMatchesTheExecutedBinary() throws {
        // Same configuration twice: "trellis-ipam" runs in-process; the same binary under
        // another name ("ipam-exec") is executed from CNI_PATH like any delegate.
        let exec = try ScratchDirectory()
        let lab = try BridgeLab()
        try FileManager.default.createSymbolicLink(atPath: exec.path + "/ipam-exec", withDestinationPath: lab.bin + "/trellis-ipam")
        func config(_ type: String) -> String {
            lab.config(bridge: type == "trellis-ipam" ? "tbr0" : "tbr1", extra: #""isDefaultGateway":true"#,
                       ipam: #"{"type":"\#(type)","dataDir":"\#(lab.data.path)/\#(type)","ranges":[[{"subnet":"10.77.0.0/28"}],[{"subnet":"fd00:77::/120"}]],"routes":[{"dst":"192.168.0.0/16"}]}"#)
        }
        var results: [String: [String]] = [:]
        for type in ["trellis-ipam", "ipam-exec"] {
            var seen: [String] = []
            for i in 0..<4 {
                var call = PluginCall(command: "ADD", containerID: "c\(i)", netns: try lab.pod().path, ifName: "eth0",
                                      path: type == "ipam-exec" ? exec.path : lab.bin, config: config(type))
                let out = try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node)
                #expect(out.status == 0, "\(type): \(out)")
                // Compare everything but the interface names and MACs, which differ by design.
                var json = out.json
                json["interfaces"] = nil
                seen.append(String(decoding: try JSONSerialization.data(withJSONObject: json, options: .sortedKeys), as: UTF8.self))
                if i == 1 {
                    call.command = "DEL"
                    #expect(try runPlugin(lab.bin + "/trellis-bridge", call, in: lab.node).status == 0)
                }
            }
            results[type] = seen
        }
        #expect(results["trellis-ipam"] == results["ipam-exec"])
        #expect(results["trellis-ipam"]?.count == 4)
    }
}
