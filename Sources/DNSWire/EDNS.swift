/// The EDNS(0) fields of an OPT record (RFC 6891 §6.1.3), options aside.
public struct EDNS: Hashable, Sendable {
    /// Largest UDP payload the sender can reassemble. Values below 512 mean 512.
    public var udpPayloadSize: UInt16
    /// Upper 8 bits of the 12-bit rcode.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// DO: DNSSEC OK (RFC 3225).
    public var dnssecOK: Bool
    /// The other 15 flag bits (zero when sent by us).
    public var z: UInt16

    public init(udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0,
                dnssecOK: Bool = false, z: UInt16 = 0) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.z = z
    }

    /// The UDP size we advertise and honour at most: the DNS flag day 2020 value, which
    /// avoids IP fragmentation on usual paths.
    public static let maxUDPPayload = 1232
}

/// One EDNS option (RFC 6891 §6.1.2). Only the full decoder keeps options.
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}
