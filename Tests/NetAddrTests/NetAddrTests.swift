import Testing
import NetAddr

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.1.2.3", "10.1.2.3"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("fd00::1", "fd00::1"), ("FD00:0:0::01", "fd00::1"), ("::", "::"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ])
    func parsesAndPrints(input: String, canonical: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.description == canonical)
        #expect(IPAddress(bytes: a.bytes) == a)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/24", "fd00:::1", "x", " 1.2.3.4", "1.2.3.-1"])
    func rejectsInvalid(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func advancesAndWraps() {
        #expect(IPAddress("10.0.0.255")!.advanced(by: 1) == IPAddress("10.0.1.0"))
        #expect(IPAddress("255.255.255.255")!.advanced(by: 1) == IPAddress("0.0.0.0"))
        #expect(IPAddress("fd00::ffff")!.advanced(by: 1) == IPAddress("fd00::1:0"))
        #expect(IPAddress("10.0.1.0")!.advanced(by: -1) == IPAddress("10.0.0.255"))
    }

    @Test func ordersV4BeforeV6() {
        #expect(IPAddress("255.0.0.1")! < IPAddress("::1")!)
        #expect(IPAddress("10.0.0.2")! < IPAddress("10.0.0.10")!)
    }
}

@Suite struct IPPrefixTests {
    @Test(arguments: [
        ("10.1.2.3/24", "10.1.2.0/24", "10.1.2.255", "255.255.255.0"),
        ("10.1.2.3/32", "10.1.2.3/32", "10.1.2.3", "255.255.255.255"),
        ("0.0.0.0/0", "0.0.0.0/0", "255.255.255.255", "0.0.0.0"),
        ("fd00:1::5/64", "fd00:1::/64", "fd00:1::ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::"),
        ("::/0", "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"),
    ])
    func networkAndLast(input: String, network: String, last: String, mask: String) throws {
        let p = try #require(IPPrefix(input))
        #expect(p.description == input)
        #expect(p.network.description == network)
        #expect(p.last.description == last)
        #expect(p.netmask.description == mask)
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/", "/24", "10.0.0.0/2x"])
    func rejectsInvalid(input: String) {
        #expect(IPPrefix(input) == nil)
    }

    @Test func containment() {
        let p = IPPrefix("10.1.0.0/16")!
        #expect(p.contains(IPAddress("10.1.255.3")!))
        #expect(!p.contains(IPAddress("10.2.0.1")!))
        #expect(!p.contains(IPAddress("::1")!))
        #expect(p.contains(IPPrefix("10.1.4.0/24")!))
        #expect(!IPPrefix("10.1.4.0/24")!.contains(p))
        #expect(p.overlaps(IPPrefix("10.0.0.0/8")!))
    }
}

@Suite struct MACAddressTests {
    @Test func parsesAndPrints() throws {
        let m = try #require(MACAddress("02:42:AC:11:00:0a"))
        #expect(m.description == "02:42:ac:11:00:0a")
        #expect(MACAddress("02-42-ac-11-00-0a") == m)
        #expect(MACAddress("02:42:ac:11:00") == nil)
        #expect(MACAddress("02:42:ac:11:00:0g") == nil)
    }

    @Test func localIsStableUnicastAndLocallyAdministered() {
        let a = MACAddress.local(seed: Array("container-1/eth0".utf8))
        let b = MACAddress.local(seed: Array("container-1/eth0".utf8))
        let c = MACAddress.local(seed: Array("container-2/eth0".utf8))
        #expect(a == b)
        #expect(a != c)
        #expect(a.bytes[0] & 0x03 == 0x02)
    }
}
