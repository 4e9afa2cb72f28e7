import Foundation
import Testing
import NetAddr
import PodNetwork

@Suite("PodNetwork nftables plans (pure)")
struct PodNetworkPlanTests {
    @Test func masqueradeSetup() throws {
        try expectGolden(PodMasquerade.setup().description, "PodMasquerade.setup")
    }

    @Test func masqueradeElementsForADualStackPod() throws {
        let b = PodMasquerade.elements(addresses: [IPPrefix("10.1.0.5/24")!, IPPrefix("fd01::5/64")!],
                                       network: "net1", owner: "0123abcd/eth0")
        try expectGolden(b.description, "PodMasquerade.elements")
    }

    @Test func macSpoofCheckSetup() throws {
        try expectGolden(MACSpoofCheck.setup().description, "MACSpoofCheck.setup")
    }
}
