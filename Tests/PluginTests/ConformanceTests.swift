import Foundation
import Testing
import TestSupport

/// CNI spec 1.1 rules, checked on the real binaries the way a runtime calls them.
@Suite(.enabled(if: isRoot, "needs root for network namespaces"), .serialized)
struct ConformanceTests {
    static let plugins = ["trellis-bridge", "trellis-ipam"]

    @Test(arguments: plugins)
    func versionNeedsNoOtherEnvironment(plugin: String) throws {
        let lab = try BridgeLab()
        let out = try runPlugin(lab.bin + "/" + plugin, PluginCall(command: "VERSION", config: #"{"cniVersion":"1.1.0"}"#), in: lab.node)
        #expect(out.status == 0, "\(out)")
        #expect(out.json["cniVersion"] as? String == "1.1.0")
        let versions = out.json["supportedVersions"] as? [String] ?? []
        #expect(Set(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]).isSubset(of: versions))
        // Even with an empty stdin.
        let empty = try runPlugin(lab.bin + "/" + plugin, PluginCall(command: "VERSION", config: ""), in: lab.node)
        #expect(empty.status == 0, "\(empty)")
    }

    static let badEnvironment: [(String, String?, String?, String?, String?)] = [
        // label, command, containerID, ifName, netns ("POD" = a real pod netns)
        ("missing command", nil, "c1", "eth0", "POD"),
        ("unknown command", "FROB", "c1", "eth0", "POD"),
        ("missing container id", "ADD", nil, "eth0", "POD"),
        ("invalid container id", "ADD", "-bad id", "eth0", "POD"),
        ("missing ifname", "ADD", "c1", nil, "POD"),
        ("ifname too long", "ADD", "c1", "abcdefghijklmnop", "POD"),
        ("ifname with slash", "ADD", "c1", "eth/0", "POD"),
        ("ifname with colon", "ADD", "c1", "eth:0", "POD"),
        ("ifname dot", "ADD", "c1", ".", "POD"),
        ("missing netns", "ADD", "c1", "eth0", nil),
        ("relative netns", "ADD", "c1", "eth0", "var/run/netns/x"),
        ("netns not a namespace", "ADD", "c1", "eth0", "/etc/hostname"),
        ("check missing netns", "CHECK", "c1", "eth0", nil),
        ("del invalid ifname", "DEL", "c1", "a/b", "POD"),
    ]

    @Test(arguments: badEnvironment)
    func invalidEnvironmentIsCode4(label: String, command: String?, container: String?, ifName: String?, netns: String?) throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        var call = PluginCall(command: command, containerID: container, netns: netns == "POD" ? pod.path : netns,
                              ifName: ifName, path: lab.bin, config: lab.config())
        call.extra["CNI_COMMAND"] = command
        // An IPAM plugin never opens the namespace, so only the bridge plugin can tell a file
        // that is not a namespace.
        let plugins = label == "netns not a namespace" ? ["trellis-bridge"] : Self.plugins
        for plugin in plugins {
            let out = try runPlugin(lab.bin + "/" + plugin, call, in: lab.node)
            #expect(out.errorCode == 4, "\(label) with \(plugin): \(out)")
            #expect((out.json["msg"] as? String)?.isEmpty == false)
        }
        // Nothing was created.
        #expect(try lab.node.ipJSON(["link"]).count == 1, "only lo in the node")
        #expect(try pod.ipJSON(["link"]).count == 1, "only lo in the pod")
        #expect(!FileManager.default.fileExists(atPath: lab.data.path + "/ipam"), "no IPAM state")
    }

    @Test(arguments: plugins)
    func badJSONIsCode6(plugin: String) throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        for text in ["{", "not json", #"{"cniVersion":"1.1.0","name":"x","type":"#] {
            let out = try lab.call("ADD", pod: pod, config: text, binary: plugin)
            #expect(out.errorCode == 6, "\(text): \(out)")
        }
    }

    static let badConfigs: [(String, String)] = [
        ("missing name", #"{"cniVersion":"1.1.0","type":"trellis-bridge","ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]]}}"#),
        ("bad name", #"{"cniVersion":"1.1.0","name":"bad name!","type":"trellis-bridge","ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]]}}"#),
        ("bad subnet", #"{"cniVersion":"1.1.0","name":"n","type":"trellis-bridge","ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/33"}]]}}"#),
        ("range outside subnet", #"{"cniVersion":"1.1.0","name":"n","type":"trellis-bridge","ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.2.0.1"}]]}}"#),
        ("wrong type", #"{"cniVersion":"1.1.0","name":"n","type":"trellis-bridge","isGateway":"yes","ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]]}}"#),
        ("hairpin and promisc", #"{"cniVersion":"1.1.0","name":"n","type":"trellis-bridge","hairpinMode":true,"promiscMode":true,"ipam":{"type":"trellis-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]]}}"#),
    ]

    @Test(arguments: badConfigs)
    func badConfigIsCode7AndChangesNothing(label: String, config: String) throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        let out = try lab.call("ADD", pod: pod, config: config)
        #expect(out.errorCode == 7, "\(label): \(out)")
        #expect(try pod.ipJSON(["link"]).count == 1, "only lo in the pod")
        #expect(try lab.node.ipJSON(["link"]).count == 1, "nothing in the node")
    }

    static let versionRules: [(String, String, Int?)] = [
        ("ADD", "9.9.9", 1), ("ADD", "0.3.0", nil), ("CHECK", "0.3.1", 1), ("GC", "1.0.0", 1), ("STATUS", "1.0.0", 1),
        ("STATUS", "1.1.0", nil), ("GC", "1.1.0", nil),
    ]

    @Test(arguments: versionRules)
    func versionRulesGiveCode1(command: String, version: String, code: Int?) throws {
        let lab = try BridgeLab()
        let pod = try lab.pod()
        let noSandbox = command == "GC" || command == "STATUS"
        let out = try lab.call(command, pod: noSandbox ? nil : pod, ifName: noSandbox ? nil : "eth0",
                               config: lab.config(version: version))
        #expect(out.errorCode == code, "\(command) \(version): \(out)")
        if code == nil { #expect(out.status == 0, "\(out)") }
    }
}
