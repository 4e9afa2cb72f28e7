import FoundationEssentials

extension CNIError {
    /// The spec's error JSON: `{"cniVersion": …, "code": N, "msg": …, "details": …}`.
    ///
    /// `details` is omitted when empty, as the reference library does.
    public func jsonValue(cniVersion: String = CNIVersion.latest) -> JSONValue {
        var o: [String: JSONValue] = ["cniVersion": .string(cniVersion), "code": .number(Double(code)), "msg": .string(msg)]
        if !details.isEmpty { o["details"] = .string(details) }
        return .object(o)
    }

    /// The error JSON as compact text with sorted keys.
    public func encoded(cniVersion: String = CNIVersion.latest) -> [UInt8] {
        jsonValue(cniVersion: cniVersion).encoded()
    }

    /// Reads a plugin's error JSON; nil if `json` is not one (no integer `code`).
    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue else { return nil }
        self.init(code, json["msg"]?.stringValue ?? "", details: json["details"]?.stringValue ?? "")
    }

    /// Keeps a `CNIError` as it is; wraps any other error with `code` and `msg`, putting the
    /// error's own text in `details`. Decoding errors from a plugin's own config struct
    /// become code 7 (invalid configuration) whatever `code` says.
    public init(wrapping error: any Error, code: Int, _ msg: String) {
        if let e = error as? CNIError { self = e; return }
        if error is DecodingError {
            self.init(CNIError.invalidConfig, msg, details: JSONValue.describe(error))
            return
        }
        self.init(code, msg, details: "\(error)")
    }

    /// The name of a well-known code ("invalid environment"), or nil for plugin codes.
    public static func name(of code: Int) -> String? {
        switch code {
        case incompatibleVersion: "incompatible CNI version"
        case unsupportedField: "unsupported field in network configuration"
        case unknownContainer: "container unknown or does not exist"
        case invalidEnvironment: "invalid necessary environment variables"
        case ioFailure: "I/O failure"
        case decodeFailure: "failed to decode content"
        case invalidConfig: "invalid network config"
        case tryAgainLater: "try again later"
        case notAvailable: "plugin not available"
        case limitedConnectivity: "plugin not available, existing containers may have limited connectivity"
        default: nil
        }
    }
}
