import NetAddr

/// A route (`RTM_NEWROUTE`), as `ip route` shows it. Single-path only.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    /// The destination; the default route is `0.0.0.0/0` or `::/0`.
    public var destination: IPPrefix
    /// The next hop (`RTA_GATEWAY`, `via`).
    public var gateway: IPAddress?
    /// The output interface index (`RTA_OIF`, `dev`).
    public var outputIndex: Int?
    /// Treat the gateway as directly reachable on `dev` (`RTNH_F_ONLINK`, `onlink`).
    public var isOnLink: Bool
    /// The routing table; `RT_TABLE_MAIN` (254) by default. Ids above 255 go in `RTA_TABLE`.
    public var table: UInt32
    /// nil on requests picks what iproute2 picks: `link` for a unicast route without a
    /// gateway, `host` for a local route, `global` otherwise.
    public var scope: Scope?
    public var proto: RouteProtocol
    /// `RTA_PRIORITY`: the metric.
    public var metric: UInt32?
    /// The path MTU (`RTA_METRICS`/`RTAX_MTU`).
    public var mtu: UInt32?
    public var type: RouteType
    /// `RTA_PREFSRC`, `src` in iproute2.
    public var preferredSource: IPAddress?

    public init(destination: IPPrefix, gateway: IPAddress? = nil, outputIndex: Int? = nil,
                isOnLink: Bool = false, table: UInt32 = Route.mainTable, scope: Scope? = nil,
                proto: RouteProtocol = .boot, metric: UInt32? = nil, mtu: UInt32? = nil,
                type: RouteType = .unicast, preferredSource: IPAddress? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.outputIndex = outputIndex
        self.isOnLink = isOnLink
        self.table = table
        self.scope = scope
        self.proto = proto
        self.metric = metric
        self.mtu = mtu
        self.type = type
        self.preferredSource = preferredSource
    }

    /// `RT_TABLE_MAIN`.
    public static let mainTable: UInt32 = 254
    /// `RT_TABLE_LOCAL`.
    public static let localTable: UInt32 = 255

    public var family: IPFamily { destination.family }
    public var isDefault: Bool { destination.length == 0 }

    /// The scope sent to the kernel when `scope` is nil (iproute2's rule).
    var effectiveScope: Scope {
        if let scope { return scope }
        switch type {
        case .local: return .host
        case .unicast where gateway == nil: return .link
        default: return .universe
        }
    }

    /// iproute2-like text: `10.0.0.0/24 via 10.0.0.1 dev #3 onlink table 100 metric 5`.
    public var description: String { describe { "#\($0)" } }

    func describe(_ name: (Int) -> String) -> String {
        var s = type == .unicast ? "" : "\(type) "
        s += isDefault ? "default" : "\(destination)"
        if let gateway { s += " via \(gateway)" }
        if let outputIndex { s += " dev \(name(outputIndex))" }
        if isOnLink { s += " onlink" }
        if table != Route.mainTable { s += " table \(table)" }
        if let metric { s += " metric \(metric)" }
        if let mtu { s += " mtu \(mtu)" }
        if let preferredSource { s += " src \(preferredSource)" }
        return s
    }
}

/// Who installed a route (`RTPROT_*`).
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteProtocol(rawValue: 0)
    public static let redirect = RouteProtocol(rawValue: 1)
    public static let kernel = RouteProtocol(rawValue: 2)
    public static let boot = RouteProtocol(rawValue: 3)
    public static let `static` = RouteProtocol(rawValue: 4)
    public static let bgp = RouteProtocol(rawValue: 186)

    public var description: String {
        switch rawValue {
        case 0: "unspec"
        case 1: "redirect"
        case 2: "kernel"
        case 3: "boot"
        case 4: "static"
        case 186: "bgp"
        default: "\(rawValue)"
        }
    }
}

/// Route type (`RTN_*`).
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unicast = RouteType(rawValue: 1)
    public static let local = RouteType(rawValue: 2)
    public static let broadcast = RouteType(rawValue: 3)
    public static let multicast = RouteType(rawValue: 5)
    public static let blackhole = RouteType(rawValue: 6)
    public static let unreachable = RouteType(rawValue: 7)
    public static let prohibit = RouteType(rawValue: 8)

    public var description: String {
        switch rawValue {
        case 1: "unicast"
        case 2: "local"
        case 3: "broadcast"
        case 5: "multicast"
        case 6: "blackhole"
        case 7: "unreachable"
        case 8: "prohibit"
        default: "\(rawValue)"
        }
    }
}
