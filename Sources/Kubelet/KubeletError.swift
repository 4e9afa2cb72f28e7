#if canImport(Glibc)
import Glibc
#endif

/// A failed kubelet operation, keeping the operation, the object and (for system calls) the errno.
public struct KubeletError: Error, CustomStringConvertible, Equatable, Sendable {
    public var operation: String
    public var object: String
    public var errno: Int32?
    /// Extra words (a CNI error's message, a missing field).
    public var detail: String?

    public init(_ operation: String, _ object: String, errno: Int32? = nil, detail: String? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) \(object)"
        if let errno { text += ": \(String(cString: strerror(errno)))" }
        if let detail { text += ": \(detail)" }
        return text
    }
}
