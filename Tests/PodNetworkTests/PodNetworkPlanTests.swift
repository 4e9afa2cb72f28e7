import Foundation
import Testing
import NetAddr
import PodNetwork

/// Compares `text` with `Golden/<name>.txt`; `TRELLIS_UPDATE_GOLDEN=1` rewrites the file.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden").appendingPathComponent("\(name).txt")
    if ProcessInfo.processInfo.environment["TRELLIS_UPDATE_GOLDEN"] == "1" {
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
    let golden = try String(contentsOf: url, encoding: .utf8)
    #expect(text + "\n" == golden, sourceLocation: sourceLocation)
}

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
