/// A failure of `trellis routing`: what it was doing, on what, and why.
///
/// Prints like `plan node n1: no podCIDR in spec` or
/// `apply route 10.244.2.0/24 via 10.0.0.2: RTM_NEWROUTE …: Network is unreachable`.
public struct RoutingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var object: String
    public var reason: String

    public init(_ operation: String, _ object: String, _ reason: String) {
        self.operation = operation
        self.object = object
        self.reason = reason
    }

    public var description: String { "\(operation) \(object): \(reason)" }
}
