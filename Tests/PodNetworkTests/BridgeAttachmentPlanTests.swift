import CNI
import NetAddr
import PodNetwork
import Testing

private func ipam(_ ips: [(String, String?)], routes: [(String, String?)] = []) -> CNIResult {
    CNIResult(ips: ips.map { CNIResult.IPConfig(address: IPPrefix($0.0)!, gateway: $0.1.flatMap(IPAddress.init)) },
              routes: routes.map { CNIResult.Route(dst: IPPrefix($0.0)!, gw: $0.1.flatMap(IPAddress.init)) })
}

@Suite struct BridgeAttachmentPlanTests {
    static let cases: [(String, String, CNIResult)] = [
        ("plain", #"{"bridge":"br0"}"#, ipam([("10.1.0.2/24", "10.1.0.1")])),
        ("gateway-default-route", #"{"bridge":"cni0","isDefaultGateway":true,"ipMasq":true}"#,
         ipam([("10.1.0.2/24", nil)])),
        ("dual-stack", #"{"isGateway":true,"isDefaultGateway":true,"mtu":1400,"hairpinMode":true}"#,
         ipam([("10.1.0.7/24", nil), ("fd00:1::7/64", nil)], routes: [("192.168.0.0/16", nil)])),
        ("vlan-spoofcheck-dad", #"{"vlan":100,"macspoofchk":true,"enabledad":true,"promiscMode":true}"#,
         ipam([("fd00:1::9/64", "fd00:1::1")], routes: [("::/0", nil)])),
        ("existing-default-route", #"{"isDefaultGateway":true,"forceAddress":true}"#,
         ipam([("10.9.0.5/16", "10.9.0.1")], routes: [("0.0.0.0/0", nil)])),
    ]

    @Test(arguments: cases)
    func golden(name: String, json: String, result: CNIResult) throws {
        let config = try BridgeConfig(json: Array(json.utf8))
        let plan = try BridgeAttachmentPlan.make(config: config, containerID: "c-\(name)", ifName: "eth0", ipam: result)
        try expectGolden(plan.description, "bridge-\(name)")
    }

    @Test func resultGetsGatewaysDefaultRouteAndInterfaces() throws {
        let config = try BridgeConfig(json: Array(#"{"isDefaultGateway":true}"#.utf8))
        let plan = try BridgeAttachmentPlan.make(config: config, containerID: "abc", ifName: "eth0",
                                                 ipam: ipam([("10.1.0.2/24", nil)]))
        #expect(plan.result.ips == [CNIResult.IPConfig(address: IPPrefix("10.1.0.2/24")!, gateway: IPAddress("10.1.0.1"), interface: 2)])
        #expect(plan.result.routes == [CNIResult.Route(dst: IPPrefix("0.0.0.0/0")!, gw: IPAddress("10.1.0.1"))])
        #expect(plan.result.interfaces.map(\.name) == ["cni0", plan.hostInterface, "eth0"])
        #expect(plan.gatewayAddresses == [IPPrefix("10.1.0.1/24")!])
    }

    @Test func noAddressIsAnError() throws {
        #expect(throws: CNIError.self) {
            _ = try BridgeAttachmentPlan.make(config: BridgeConfig(), containerID: "a", ifName: "eth0", ipam: CNIResult())
        }
    }
}

@Suite struct BridgeConfigTests {
    @Test(arguments: [
        (#"{"bridge":"a/b"}"#, 7), (#"{"bridge":"waytoolongbridgename"}"#, 7), (#"{"mtu":20}"#, 7),
        (#"{"vlan":5000}"#, 7), (#"{"hairpinMode":true,"promiscMode":true}"#, 7), (#"{"isGateway":"yes"}"#, 7),
        (#"{"bridge":"#, 6), ("not json", 6),
    ])
    func rejects(json: String, code: Int) {
        #expect { try BridgeConfig(json: Array(json.utf8)) } throws: { ($0 as? CNIError)?.code == code }
    }

    @Test func defaults() throws {
        let c = try BridgeConfig(json: Array(#"{"cniVersion":"1.1.0","name":"n","type":"trellis-bridge","unknown":1}"#.utf8))
        #expect(c == BridgeConfig())
        #expect(c.bridge == "cni0")
    }

    @Test func hostVethNameIsStableAndValid() {
        let a = InterfaceName.hostVeth(containerID: "abc", ifName: "eth0")
        #expect(a == InterfaceName.hostVeth(containerID: "abc", ifName: "eth0"))
        #expect(a != InterfaceName.hostVeth(containerID: "abc", ifName: "eth1"))
        #expect(a.utf8.count == 15 && a.hasPrefix("veth") && InterfaceName.isValid(a))
    }
}
