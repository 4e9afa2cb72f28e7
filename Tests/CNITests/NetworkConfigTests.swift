import CNI
import NetAddr
import Testing

private func decode(_ s: String) throws(CNIError) -> NetworkConfig { try NetworkConfig(decoding: Array(s.utf8)) }

@Suite struct NetworkConfigTests {
    @Test func fullConfig() throws {
        let c = try decode("""
        {
          "cniVersion": "1.1.0", "name": "pods", "type": "trellis-bridge", "bridge": "cni0", "mtu": 1450,
          "ipam": {"type": "trellis-ipam", "ranges": [[{"subnet": "10.1.0.0/24"}]]},
          "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]},
          "args": {"cni": {"ips": ["10.1.0.9/24", "fd00::9"]}, "labels": {"app": "web"}},
          "runtimeConfig": {"mac": "0a:58:0a:01:00:09", "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
                            "bandwidth": {"ingressRate": 1000000, "ingressBurst": 2000}},
          "prevResult": {"cniVersion": "1.1.0", "ips": [{"address": "10.1.0.9/24"}]}
        }
        """)
        #expect(c.cniVersion == "1.1.0")
        #expect(c.name == "pods")
        #expect(c.type == "trellis-bridge")
        #expect(c.ipamType == "trellis-ipam")
        #expect(c.ipam == ["type": "trellis-ipam", "ranges": [[["subnet": "10.1.0.0/24"]]]])
        #expect(c.dns == .init(nameservers: ["10.96.0.10"], search: ["svc.cluster.local"]))
        #expect(c.argsIPs == ["10.1.0.9/24", "fd00::9"])
        #expect(c.args?["labels"] == ["app": "web"])
        #expect(c.runtimeConfig["mac"] == "0a:58:0a:01:00:09")
        #expect(c.runtimeConfig["portMappings"] == [["hostPort": 8080, "containerPort": 80, "protocol": "tcp"]])
        #expect(c.runtimeConfig["bandwidth"]?["ingressRate"]?.intValue == 1_000_000)
        #expect(c.prevResult == CNIResult(ips: [.init(address: IPPrefix("10.1.0.9/24")!)]))
        #expect(c.validAttachments == nil)
        #expect(c.json["bridge"] == "cni0")
    }

    @Test func minimalConfig() throws {
        let c = try decode(#"{"cniVersion":"0.4.0","name":"n","type":"t"}"#)
        #expect(c.ipam == nil && c.ipamType == nil && c.args == nil && c.prevResult == nil)
        #expect(c.dns.isEmpty && c.argsIPs.isEmpty && c.runtimeConfig.isEmpty)
    }

    @Test func prevResultWithoutVersionUsesConfigVersion() throws {
        let c = try decode(#"{"cniVersion":"0.3.1","name":"n","type":"t","prevResult":{"ips":[{"version":"4","address":"10.0.0.2/8"}]}}"#)
        #expect(c.prevResult?.cniVersion == "0.3.1")
        #expect(c.prevResult?.ips.count == 1)
    }

    @Test(arguments: ["{", "", "not json", #"{"cniVersion":"1.0.0" "name":"n"}"#, "\u{FF}", #"{"a":tru}"#])
    func badJSONIsCode6(_ s: String) {
        do { _ = try decode(s); Issue.record("accepted \(s)") } catch { #expect(error.code == CNIError.decodeFailure) }
    }

    static let badConfigs: [(String, String)] = [
        ("[]", "expected object"),
        ("\"x\"", "expected object"),
        (#"{"name":"n","type":"t"}"#, "cniVersion: required"),
        (#"{"cniVersion":"","name":"n","type":"t"}"#, "cniVersion: required"),
        (#"{"cniVersion":1,"name":"n","type":"t"}"#, "cniVersion: expected string, got number"),
        (#"{"cniVersion":"1.0.0","type":"t"}"#, "name: required"),
        (#"{"cniVersion":"1.0.0","name":"n"}"#, "type: required"),
        (#"{"cniVersion":"1.0.0","name":["n"],"type":"t"}"#, "name: expected string, got array"),
        (#"{"cniVersion":"1.0.0","name":"n","type":true}"#, "type: expected string, got boolean"),
        (#"{"cniVersion":"1.0.0","name":"-n","type":"t"}"#, "invalid network name"),
        (#"{"cniVersion":"1.0.0","name":"my net","type":"t"}"#, "invalid network name"),
        (#"{"cniVersion":"1.0.0","name":"a/b","type":"t"}"#, "invalid network name"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":"host-local"}"#, "ipam: expected object"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"type":7}}"#, "ipam.type: expected string"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","dns":[]}"#, "dns: expected object"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","dns":{"search":[1]}}"#, "dns.search[0]: expected string"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","args":{"cni":{"ips":"10.0.0.1"}}}"#, "args.cni.ips: expected array"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","runtimeConfig":[]}"#, "runtimeConfig: expected object"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":[{"address":"bad"}]}}"#, "prevResult: result.ips[0].address"),
        (#"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":{}}"#, "expected array"),
        (#"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[{"containerID":"a"}]}"#, "cni.dev/valid-attachments[0].ifname"),
    ]

    @Test(arguments: badConfigs)
    func badConfigIsCode7(_ s: String, _ message: String) {
        do { _ = try decode(s); Issue.record("accepted \(s)") } catch {
            #expect(error.code == CNIError.invalidConfig, "\(error)")
            #expect(error.msg.contains(message), "\(error.msg)")
        }
    }

    @Test func prevResultOfUnknownVersionIsCode1() {
        do { _ = try decode(#"{"cniVersion":"1.1.0","name":"n","type":"t","prevResult":{"cniVersion":"7.0.0"}}"#) } catch {
            #expect(error.code == CNIError.incompatibleVersion)
        }
    }

    static let attachmentCases: [(String, [NetworkConfig.GCAttachment]?)] = [
        (#""cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"},{"containerID":"c2","ifname":"net1"}]"#,
         [.init(containerID: "c1", ifName: "eth0"), .init(containerID: "c2", ifName: "net1")]),
        (#""cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}]"#, [.init(containerID: "old", ifName: "eth0")]),
        (#""cni.dev/valid-attachments":[{"containerID":"new","ifname":"eth0"}],"cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}]"#,
         [.init(containerID: "new", ifName: "eth0")]),
        (#""cni.dev/valid-attachments":[]"#, []),
        (#""other":1"#, nil),
    ]

    @Test(arguments: attachmentCases)
    func gcAttachments(_ fragment: String, _ expected: [NetworkConfig.GCAttachment]?) throws {
        let c = try decode(#"{"cniVersion":"1.1.0","name":"n","type":"t",\#(fragment)}"#)
        #expect(c.validAttachments == expected)
    }
}

@Suite struct NetworkConfigListTests {
    static let conflist = """
    {
      "cniVersion": "1.0.0", "cniVersions": ["0.4.0", "1.0.0", "1.1.0", "9.0.0"], "name": "pods", "disableGC": "true",
      "plugins": [
        {"type": "trellis-bridge", "bridge": "cni0", "ipam": {"type": "trellis-ipam"}},
        {"type": "portmap", "capabilities": {"portMappings": true}},
        {"type": "bandwidth", "capabilities": {"bandwidth": false}}
      ]
    }
    """

    @Test func decodes() throws {
        let l = try NetworkConfigList(decoding: Array(Self.conflist.utf8))
        #expect(l.name == "pods")
        #expect(l.cniVersion == "1.0.0")
        #expect(l.negotiatedVersion() == "1.1.0")
        #expect(l.negotiatedVersion(supported: ["0.4.0", "1.0.0"]) == "1.0.0")
        #expect(l.disableGC && !l.disableCheck)
        #expect(l.plugins.count == 3)
        #expect((0..<3).map(l.type(at:)) == ["trellis-bridge", "portmap", "bandwidth"])
    }

    @Test func singleConfBecomesListOfOne() throws {
        let l = try NetworkConfigList(decoding: Array(#"{"cniVersion":"0.4.0","name":"n","type":"bridge"}"#.utf8))
        #expect(l.plugins.count == 1 && l.name == "n" && l.cniVersion == "0.4.0" && l.type(at: 0) == "bridge")
    }

    static let badLists: [(String, Int)] = [
        ("{", 6),
        (#"{"cniVersion":"1.0.0","name":"n","plugins":[]}"#, 7),
        (#"{"cniVersion":"1.0.0","name":"n","plugins":{}}"#, 7),
        (#"{"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"x"}]}"#, 7),
        (#"{"cniVersion":"1.0.0","name":"n","plugins":["bridge"]}"#, 7),
        (#"{"cniVersion":"1.0.0","plugins":[{"type":"a"}]}"#, 7),
        (#"{"name":"n","plugins":[{"type":"a"}]}"#, 7),
        (#"{"cniVersion":"1.0.0","name":"n","disableCheck":"maybe","plugins":[{"type":"a"}]}"#, 7),
    ]

    @Test(arguments: badLists)
    func rejected(_ s: String, _ code: Int) {
        do { _ = try NetworkConfigList(decoding: Array(s.utf8)); Issue.record("accepted \(s)") } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    @Test func pluginConfigInjectsNameVersionPrevResultAndCapabilities() throws {
        let l = try NetworkConfigList(decoding: Array(Self.conflist.utf8))
        let prev = CNIResult(ips: [.init(address: IPPrefix("10.1.0.9/24")!)])
        let rc: [String: JSONValue] = ["portMappings": [["hostPort": 8080]], "bandwidth": ["ingressRate": 1]]
        let first = try l.pluginConfig(at: 0, runtimeConfig: rc)
        #expect(text(first.encoded()) == #"{"bridge":"cni0","cniVersion":"1.1.0","ipam":{"type":"trellis-ipam"},"name":"pods","type":"trellis-bridge"}"#)
        let second = try l.pluginConfig(at: 1, prevResult: prev, runtimeConfig: rc)
        #expect(text(second.encoded()) == #"{"capabilities":{"portMappings":true},"cniVersion":"1.1.0","name":"pods","prevResult":{"cniVersion":"1.1.0","ips":[{"address":"10.1.0.9/24"}]},"runtimeConfig":{"portMappings":[{"hostPort":8080}]},"type":"portmap"}"#)
        // The plugin side reads back what the runtime side wrote.
        let decoded = try NetworkConfig(json: second)
        #expect(decoded.prevResult == prev)
        #expect(decoded.name == "pods")
        let third = try l.pluginConfig(at: 2, version: "0.4.0", prevResult: prev, runtimeConfig: rc)
        #expect(third["runtimeConfig"] == nil)
        #expect(third["prevResult"]?["ips"] == [["address": "10.1.0.9/24", "version": "4"]])
    }

    @Test func gcConfigCarriesBothAttachmentKeys() throws {
        let l = try NetworkConfigList(decoding: Array(Self.conflist.utf8))
        let c = try l.gcConfig(at: 0, validAttachments: [.init(containerID: "c1", ifName: "eth0")])
        #expect(c["cni.dev/valid-attachments"] == [["containerID": "c1", "ifname": "eth0"]])
        #expect(c["cni.dev/attachments"] == c["cni.dev/valid-attachments"])
        #expect(try NetworkConfig(json: c).validAttachments == [.init(containerID: "c1", ifName: "eth0")])
    }

    @Test func addChainsPrevResult() throws {
        let l = try NetworkConfigList(decoding: Array(Self.conflist.utf8))
        var seen: [(String, JSONValue?)] = []
        let final = try l.add { (type: String, config: [UInt8]) throws(CNIError) -> CNIResult? in
            let c = try NetworkConfig(decoding: config)
            seen.append((type, c.json["prevResult"]))
            var r = c.prevResult ?? CNIResult()
            r.interfaces.append(.init(name: type))
            return type == "bandwidth" ? nil : r
        }
        #expect(seen.map(\.0) == ["trellis-bridge", "portmap", "bandwidth"])
        #expect(seen[0].1 == nil)
        #expect(seen[2].1?["interfaces"] == [["name": "trellis-bridge"], ["name": "portmap"]])
        #expect(final?.interfaces.map(\.name) == ["trellis-bridge", "portmap"])
    }

    @Test func delRunsInReverseAndReportsFirstError() throws {
        let l = try NetworkConfigList(decoding: Array(Self.conflist.utf8))
        var order: [String] = []
        do {
            try l.del(cachedResult: nil) { (type: String, _: [UInt8]) throws(CNIError) in
                order.append(type)
                if type != "trellis-bridge" { throw CNIError(CNIError.tryAgainLater, "busy \(type)") }
            }
            Issue.record("DEL error swallowed")
        } catch {
            #expect(error.msg == "busy bandwidth")
        }
        #expect(order == ["bandwidth", "portmap", "trellis-bridge"])
    }

    @Test func checkRefusedBelow040AndSkippedWhenDisabled() throws {
        var l = try NetworkConfigList(decoding: Array(#"{"cniVersion":"0.3.1","name":"n","plugins":[{"type":"a"}]}"#.utf8))
        do { try l.check(cachedResult: CNIResult()) { (_: String, _: [UInt8]) throws(CNIError) in } } catch {
            #expect(error.code == CNIError.incompatibleVersion)
        }
        l.disableCheck = true
        try l.check(cachedResult: CNIResult()) { (_: String, _: [UInt8]) throws(CNIError) in Issue.record("ran CHECK") }
    }
}
