import CNI
import FoundationEssentials
import NetAddr
import Testing

/// A result using every field, so each version's golden shows what it keeps and drops.
let fullResult = CNIResult(
    cniVersion: "1.1.0",
    interfaces: [
        .init(name: "cni0", mac: "0a:58:0a:01:00:01", mtu: 1450),
        .init(name: "eth0", mac: "0a:58:0a:01:00:05", mtu: 1450, sandbox: "/var/run/netns/p1",
              socketPath: "/run/vhost.sock", pciID: "0000:00:1f.0"),
    ],
    ips: [
        .init(address: IPPrefix("10.1.0.5/24")!, gateway: IPAddress("10.1.0.1")!, interface: 1),
        .init(address: IPPrefix("10.1.0.6/24")!, interface: 1),
        .init(address: IPPrefix("fd00::5/64")!, gateway: IPAddress("fd00::1")!, interface: 1),
    ],
    routes: [
        .init(dst: IPPrefix("0.0.0.0/0")!, gw: IPAddress("10.1.0.1")!, mtu: 1400, advmss: 1360, priority: 100,
              table: 254, scope: 0),
        .init(dst: IPPrefix("::/0")!, gw: IPAddress("fd00::1")!),
    ],
    dns: .init(nameservers: ["10.96.0.10"], domain: "cluster.local", search: ["default.svc.cluster.local"],
               options: ["ndots:5"]))

private let dnsJSON = #""dns":{"domain":"cluster.local","nameservers":["10.96.0.10"],"options":["ndots:5"],"search":["default.svc.cluster.local"]}"#

/// Goldens: compact JSON with sorted keys.
let resultGoldens: [(String, String)] = [
    ("1.1.0", #"{"cniVersion":"1.1.0",\#(dnsJSON),"interfaces":[{"mac":"0a:58:0a:01:00:01","mtu":1450,"name":"cni0"},{"mac":"0a:58:0a:01:00:05","mtu":1450,"name":"eth0","pciID":"0000:00:1f.0","sandbox":"/var/run/netns/p1","socketPath":"/run/vhost.sock"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":1},{"address":"10.1.0.6/24","interface":1},{"address":"fd00::5/64","gateway":"fd00::1","interface":1}],"routes":[{"advmss":1360,"dst":"0.0.0.0/0","gw":"10.1.0.1","mtu":1400,"priority":100,"scope":0,"table":254},{"dst":"::/0","gw":"fd00::1"}]}"#),
    ("1.0.0", #"{"cniVersion":"1.0.0",\#(dnsJSON),"interfaces":[{"mac":"0a:58:0a:01:00:01","name":"cni0"},{"mac":"0a:58:0a:01:00:05","name":"eth0","sandbox":"/var/run/netns/p1"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":1},{"address":"10.1.0.6/24","interface":1},{"address":"fd00::5/64","gateway":"fd00::1","interface":1}],"routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"},{"dst":"::/0","gw":"fd00::1"}]}"#),
    ("0.4.0", #"{"cniVersion":"0.4.0",\#(dnsJSON),"interfaces":[{"mac":"0a:58:0a:01:00:01","name":"cni0"},{"mac":"0a:58:0a:01:00:05","name":"eth0","sandbox":"/var/run/netns/p1"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":1,"version":"4"},{"address":"10.1.0.6/24","interface":1,"version":"4"},{"address":"fd00::5/64","gateway":"fd00::1","interface":1,"version":"6"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"},{"dst":"::/0","gw":"fd00::1"}]}"#),
    ("0.3.1", #"{"cniVersion":"0.3.1",\#(dnsJSON),"interfaces":[{"mac":"0a:58:0a:01:00:01","name":"cni0"},{"mac":"0a:58:0a:01:00:05","name":"eth0","sandbox":"/var/run/netns/p1"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":1,"version":"4"},{"address":"10.1.0.6/24","interface":1,"version":"4"},{"address":"fd00::5/64","gateway":"fd00::1","interface":1,"version":"6"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"},{"dst":"::/0","gw":"fd00::1"}]}"#),
    ("0.3.0", #"{"cniVersion":"0.3.0",\#(dnsJSON),"interfaces":[{"mac":"0a:58:0a:01:00:01","name":"cni0"},{"mac":"0a:58:0a:01:00:05","name":"eth0","sandbox":"/var/run/netns/p1"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":1,"version":"4"},{"address":"10.1.0.6/24","interface":1,"version":"4"},{"address":"fd00::5/64","gateway":"fd00::1","interface":1,"version":"6"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"},{"dst":"::/0","gw":"fd00::1"}]}"#),
    ("0.2.0", #"{"cniVersion":"0.2.0",\#(dnsJSON),"ip4":{"gateway":"10.1.0.1","ip":"10.1.0.5/24","routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}]},"ip6":{"gateway":"fd00::1","ip":"fd00::5/64","routes":[{"dst":"::/0","gw":"fd00::1"}]}}"#),
    ("0.1.0", #"{"cniVersion":"0.1.0",\#(dnsJSON),"ip4":{"gateway":"10.1.0.1","ip":"10.1.0.5/24","routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}]},"ip6":{"gateway":"fd00::1","ip":"fd00::5/64","routes":[{"dst":"::/0","gw":"fd00::1"}]}}"#),
]

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Re-encodes JSON text with sorted keys so goldens compare independent of key order.
func sortedJSON(_ s: String) throws -> String { text(try JSONValue(parsing: Array(s.utf8)).encoded()) }

@Suite struct CNIResultTests {
    @Test(arguments: resultGoldens)
    func golden(_ version: String, _ expected: String) throws {
        #expect(text(try fullResult.encoded(as: version)) == expected)
    }

    @Test(arguments: CNIVersion.all)
    func roundTrip(_ version: String) throws {
        let bytes = try fullResult.encoded(as: version)
        let back = try CNIResult(decoding: bytes)
        #expect(back == (try fullResult.converted(to: version)))
        #expect(back.cniVersion == version)
        #expect(try back.encoded(as: version) == bytes)
    }

    @Test(arguments: CNIVersion.all)
    func roundTripMinimal(_ version: String) throws {
        let r = CNIResult(cniVersion: version, ips: [.init(address: IPPrefix("10.1.0.9/16")!)])
        let bytes = try r.encoded(as: version)
        #expect(try CNIResult(decoding: bytes) == r)
    }

    @Test func emptyFieldsOmitted() throws {
        let r = CNIResult(interfaces: [.init(name: "eth0", mac: "", sandbox: "")])
        #expect(text(try r.encoded(as: "1.1.0")) == #"{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]}"#)
        #expect(text(try CNIResult().encoded(as: "1.0.0")) == #"{"cniVersion":"1.0.0"}"#)
    }

    @Test func prevResult031UpgradedTo110() throws {
        let old = """
        {
          "cniVersion": "0.3.1",
          "interfaces": [
            {"name": "cni0", "mac": "0a:58:0a:01:00:01"},
            {"name": "veth1234", "mac": "aa:bb:cc:dd:ee:ff"},
            {"name": "eth0", "mac": "0a:58:0a:01:00:05", "sandbox": "/var/run/netns/p1"}
          ],
          "ips": [{"version": "4", "interface": 2, "address": "10.1.0.5/24", "gateway": "10.1.0.1"}],
          "routes": [{"dst": "0.0.0.0/0"}],
          "dns": {}
        }
        """
        let r = try CNIResult(decoding: Array(old.utf8))
        #expect(r.cniVersion == "0.3.1")
        #expect(r.ips == [.init(address: IPPrefix("10.1.0.5/24")!, gateway: IPAddress("10.1.0.1"), interface: 2)])
        #expect(r.dns.isEmpty)
        #expect(text(try r.encoded(as: "1.1.0")) == #"{"cniVersion":"1.1.0","interfaces":[{"mac":"0a:58:0a:01:00:01","name":"cni0"},{"mac":"aa:bb:cc:dd:ee:ff","name":"veth1234"},{"mac":"0a:58:0a:01:00:05","name":"eth0","sandbox":"/var/run/netns/p1"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":2}],"routes":[{"dst":"0.0.0.0/0"}]}"#)
    }

    @Test func legacy020Decoded() throws {
        let old = #"{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/24","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0"}]},"ip6":{"ip":"fd00::5/64"},"dns":{"nameservers":["10.1.0.1"]}}"#
        let r = try CNIResult(decoding: Array(old.utf8))
        #expect(r == CNIResult(cniVersion: "0.2.0", ips: [
            .init(address: IPPrefix("10.1.0.5/24")!, gateway: IPAddress("10.1.0.1")),
            .init(address: IPPrefix("fd00::5/64")!),
        ], routes: [.init(dst: IPPrefix("0.0.0.0/0")!)], dns: .init(nameservers: ["10.1.0.1"])))
        #expect(text(try r.encoded(as: "1.0.0")) == #"{"cniVersion":"1.0.0","dns":{"nameservers":["10.1.0.1"]},"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"},{"address":"fd00::5/64"}],"routes":[{"dst":"0.0.0.0/0"}]}"#)
    }

    @Test func legacyWithoutAddressRefused() {
        do {
            _ = try CNIResult(interfaces: [.init(name: "eth0")]).encoded(as: "0.2.0")
            Issue.record("encoded a 0.2.0 result without an IP")
        } catch {
            #expect(error.code == CNIError.incompatibleVersion)
            #expect(error.msg.contains("no IP address"))
        }
    }

    @Test(arguments: ["0.5.0", "2.0.0", "1.1", "banana", ""])
    func unknownTargetVersionRefused(_ version: String) {
        do { _ = try fullResult.encoded(as: version); Issue.record("encoded as \(version)") } catch {
            #expect(error.code == CNIError.incompatibleVersion)
        }
    }

    static let badResults: [(String, Int, String)] = [
        ("{", 6, "invalid JSON"),
        ("[]", 6, "expected object"),
        (#"{"ips":[]}"#, 6, "cniVersion"),
        (#"{"cniVersion":"9.9.9"}"#, 1, "unsupported result version"),
        (#"{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5"}]}"#, 6, "result.ips[0].address: invalid CIDR"),
        (#"{"cniVersion":"1.0.0","ips":[{"gateway":"10.1.0.1"}]}"#, 6, "result.ips[0].address"),
        (#"{"cniVersion":"0.4.0","ips":[{"version":"6","address":"10.1.0.5/24"}]}"#, 6, "does not match"),
        (#"{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"x"}]}"#, 6, "invalid IP address"),
        (#"{"cniVersion":"1.0.0","interfaces":[{"name":"a"}],"ips":[{"address":"10.1.0.5/24","interface":1}]}"#, 6, "not in interfaces"),
        (#"{"cniVersion":"1.0.0","interfaces":[{"mac":"x"}]}"#, 6, "interfaces[0].name"),
        (#"{"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]}"#, 6, "routes[0].dst"),
        (#"{"cniVersion":"1.1.0","routes":[{"dst":"0.0.0.0/0","mtu":"1500"}]}"#, 6, "routes[0].mtu: expected integer"),
        (#"{"cniVersion":"1.0.0","dns":{"nameservers":"10.0.0.1"}}"#, 6, "dns.nameservers: expected array"),
        (#"{"cniVersion":"0.2.0","ip4":{"ip":"fd00::1/64"}}"#, 6, "not an ipv4 address"),
    ]

    @Test(arguments: badResults)
    func badResultRejected(_ json: String, _ code: Int, _ message: String) {
        do { _ = try CNIResult(decoding: Array(json.utf8)); Issue.record("accepted \(json)") } catch {
            #expect(error.code == code, "\(error)")
            #expect("\(error.msg) \(error.details)".contains(message), "\(error)")
        }
    }

    @Test func codableEmbedsInOtherTypes() throws {
        struct Cache: Codable, Equatable { var result: CNIResult }
        let json = #"{"result":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/24"}]}}"#
        let cache = try JSONDecoder().decode(Cache.self, from: Data(json.utf8))
        #expect(cache.result.ips.first?.address == IPPrefix("10.1.0.5/24"))
        let again = try JSONDecoder().decode(Cache.self, from: JSONEncoder().encode(cache))
        #expect(again == cache)
    }

    @Test func semanticVersions() {
        #expect(SemanticVersion("1.1.0")! > SemanticVersion("1.0.0")!)
        #expect(SemanticVersion("0.10.0")! > SemanticVersion("0.4.0")!)
        #expect(SemanticVersion("1.1") == SemanticVersion(1, 1, 0))
        #expect(SemanticVersion("1.1.0.0") == nil)
        #expect(SemanticVersion("1.x") == nil)
        #expect(SemanticVersion("") == nil)
        #expect(SemanticVersion("-1.0.0") == nil)
        #expect(CNIVersion.isAtLeast("0.4.0", "0.4.0"))
        #expect(!CNIVersion.isAtLeast("0.3.1", "0.4.0"))
        #expect(!CNIVersion.isAtLeast("junk", "0.1.0"))
        #expect(CNIVersion.compare("0.3.1", "1.0.0") == true)
        #expect(CNIVersion.highestCommon(["1.0.0", "1.1.0", "2.0.0"], CNIVersion.all) == "1.1.0")
        #expect(CNIVersion.highestCommon(["2.0.0"], CNIVersion.all) == nil)
    }
}
