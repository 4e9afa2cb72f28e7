#if canImport(Glibc)
import Glibc
#endif

/// A failed netlink request, keeping the operation, the object and the kernel's errno.
///
/// Prints like `RTM_NEWROUTE 10.0.0.0/24 via 10.0.0.1 dev eth0: File exists`; when the kernel
/// sent an extended-ack message it is appended in parentheses.
public struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request, e.g. `RTM_NEWROUTE`, or a local step such as `socket` or `wait link`.
    public var operation: String
    /// What the request was about, e.g. `10.0.0.0/24 via 10.0.0.1 dev eth0` or `veth1234`.
    public var object: String
    /// The kernel's (positive) errno, e.g. `EEXIST`.
    public var errno: Int32
    /// The kernel's extended-ack text (`NLMSGERR_ATTR_MSG`), when it sent one.
    public var kernelMessage: String?

    public init(_ operation: String, _ object: String, errno: Int32, kernelMessage: String? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.kernelMessage = kernelMessage
    }

    /// Whether the object already exists (`EEXIST`).
    public var isExists: Bool { errno == EEXIST }

    /// Whether the object was not there: `ENOENT`, `ENODEV`, `ESRCH` or `EADDRNOTAVAIL`
    /// (the kernel's answers to deleting a missing neighbour, link, route or address).
    public var isNotFound: Bool {
        errno == ENOENT || errno == ENODEV || errno == ESRCH || errno == EADDRNOTAVAIL
    }

    public var description: String {
        let text = "\(operation) \(object): \(String(cString: strerror(errno)))"
        guard let kernelMessage, !kernelMessage.isEmpty else { return text }
        return "\(text) (\(kernelMessage))"
    }
}
