/// A CNI error, written to stdout as the spec's error JSON (`code`, `msg`, `details`).
///
/// Codes follow CNI spec 1.1 "Error" section; plugin-specific codes are 100 and up.
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var msg: String
    public var details: String

    public init(_ code: Int, _ msg: String, details: String = "") {
        self.code = code
        self.msg = msg
        self.details = details
    }

    public var description: String {
        details.isEmpty ? "CNI error \(code): \(msg)" : "CNI error \(code): \(msg): \(details)"
    }

    // Well-known codes (spec 1.1).
    public static let incompatibleVersion = 1
    public static let unsupportedField = 2
    public static let unknownContainer = 3
    public static let invalidEnvironment = 4
    public static let ioFailure = 5
    public static let decodeFailure = 6
    public static let invalidConfig = 7
    public static let tryAgainLater = 11
    public static let notAvailable = 50
    public static let limitedConnectivity = 51
    // Plugin-specific codes used across Trellis (>= 100).
    /// An address range set has no free address.
    public static let rangeExhausted = 100
    /// A kernel (netlink, nftables) operation failed.
    public static let kernelFailure = 101
    /// The requested interface already exists in the sandbox.
    public static let interfaceExists = 102
    /// A delegated plugin (e.g. IPAM) failed without a CNI error.
    public static let delegateFailure = 103
    /// CHECK found state that differs from what ADD created.
    public static let checkFailed = 104
}
