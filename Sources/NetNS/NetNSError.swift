#if canImport(Glibc)
import Glibc
#endif

/// A failed namespace operation, keeping the operation, the object and the errno.
public struct NetNSError: Error, CustomStringConvertible, Equatable, Sendable {
    public var operation: String
    public var object: String
    public var errno: Int32

    public init(_ operation: String, _ object: String, errno: Int32) {
        self.operation = operation
        self.object = object
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(object): \(String(cString: strerror(errno)))"
    }
}
