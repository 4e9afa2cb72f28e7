/// Address and route scope (`RT_SCOPE_*`): how far a destination or address is valid.
public struct Scope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = Scope(rawValue: 0)
    public static let site = Scope(rawValue: 200)
    public static let link = Scope(rawValue: 253)
    public static let host = Scope(rawValue: 254)
    public static let nowhere = Scope(rawValue: 255)

    /// iproute2's words (`global`, `link`, `host`), else the number.
    public var description: String {
        switch rawValue {
        case 0: "global"
        case 200: "site"
        case 253: "link"
        case 254: "host"
        case 255: "nowhere"
        default: "\(rawValue)"
        }
    }
}
