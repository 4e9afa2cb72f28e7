import CNI
import FoundationEssentials

/// The bridge plugin's own configuration keys, named as in the reference `bridge` plugin.
public struct BridgeConfig: Equatable, Sendable {
    public var bridge = "cni0"
    public var isGateway = false
    public var isDefaultGateway = false
    public var forceAddress = false
    public var ipMasq = false
    public var mtu: Int?
    public var hairpinMode = false
    public var promiscMode = false
    public var vlan: Int?
    public var macspoofchk = false
    public var enabledad = false

    public init() {}

    /// Decodes the bridge keys from a network configuration and validates them.
    /// Bad JSON is code 6; wrong types or values are code 7. Unknown keys are ignored.
    public init(json: [UInt8]) throws(CNIError) {
        do {
            self = try JSONDecoder().decode(BridgeConfig.self, from: Data(json))
        } catch let e as CNIError {
            throw e
        } catch let DecodingError.dataCorrupted(ctx) where ctx.codingPath.isEmpty {
            throw CNIError(CNIError.decodeFailure, "failed to decode network configuration", details: "\(ctx.debugDescription)")
        } catch {
            throw CNIError(CNIError.invalidConfig, "invalid bridge configuration", details: describe(error))
        }
        try validate()
    }

    func validate() throws(CNIError) {
        func bad(_ msg: String) -> CNIError { CNIError(CNIError.invalidConfig, msg) }
        if !InterfaceName.isValid(bridge) { throw bad("invalid bridge name \"\(bridge)\"") }
        if let mtu, mtu < 68 || mtu > 65535 { throw bad("invalid mtu \(mtu): must be 68..65535") }
        if let vlan, vlan < 0 || vlan > 4094 { throw bad("invalid vlan \(vlan): must be 0..4094") }
        if hairpinMode && promiscMode { throw bad("cannot set hairpin mode and promiscuous mode at the same time") }
    }

    /// isDefaultGateway implies isGateway, as in the reference plugin.
    public var actsAsGateway: Bool { isGateway || isDefaultGateway }
}

extension BridgeConfig: Decodable {
    enum Keys: String, CodingKey {
        case bridge, isGateway, isDefaultGateway, forceAddress, ipMasq, mtu, hairpinMode, promiscMode
        case vlan, macspoofchk, enabledad
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        bridge = try c.decodeIfPresent(String.self, forKey: .bridge) ?? "cni0"
        if bridge.isEmpty { bridge = "cni0" }
        isGateway = try c.decodeIfPresent(Bool.self, forKey: .isGateway) ?? false
        isDefaultGateway = try c.decodeIfPresent(Bool.self, forKey: .isDefaultGateway) ?? false
        forceAddress = try c.decodeIfPresent(Bool.self, forKey: .forceAddress) ?? false
        ipMasq = try c.decodeIfPresent(Bool.self, forKey: .ipMasq) ?? false
        let m = try c.decodeIfPresent(Int.self, forKey: .mtu)
        mtu = m == 0 ? nil : m
        hairpinMode = try c.decodeIfPresent(Bool.self, forKey: .hairpinMode) ?? false
        promiscMode = try c.decodeIfPresent(Bool.self, forKey: .promiscMode) ?? false
        let v = try c.decodeIfPresent(Int.self, forKey: .vlan)
        vlan = v == 0 ? nil : v
        macspoofchk = try c.decodeIfPresent(Bool.self, forKey: .macspoofchk) ?? false
        enabledad = try c.decodeIfPresent(Bool.self, forKey: .enabledad) ?? false
    }
}

/// Rules for Linux interface names (the same ones CNI applies to CNI_IFNAME).
public enum InterfaceName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && name != "." && name != ".."
            && !name.unicodeScalars.contains { $0 == "/" || $0 == ":" || $0.properties.isWhitespace }
    }

    /// The host-side veth name for an attachment: stable for (containerID, ifName), so DEL
    /// finds it even when the pod's namespace is already gone.
    public static func hostVeth(containerID: String, ifName: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64
        for b in "\(containerID)/\(ifName)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return "veth" + String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(11))
    }
}

func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.typeMismatch(let t, let ctx):
        "\(path(ctx.codingPath)): expected \(t)"
    case DecodingError.valueNotFound(let t, let ctx):
        "\(path(ctx.codingPath)): expected \(t), found null"
    case DecodingError.keyNotFound(let k, let ctx):
        "\(path(ctx.codingPath + [k])): required"
    case DecodingError.dataCorrupted(let ctx):
        "\(path(ctx.codingPath)): \(ctx.debugDescription)"
    default:
        "\(error)"
    }
}

private func path(_ keys: [any CodingKey]) -> String {
    keys.isEmpty ? "config" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
}
