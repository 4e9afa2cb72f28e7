#if canImport(Glibc)
import Glibc
#endif

/// A failed nftables operation, keeping the netlink message, the object and the errno.
///
/// `description` reads like `NFT_MSG_NEWSETELEM inet trellis_cni masq4 10.1.0.5: File exists`.
public struct NFTablesError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The netlink message that failed (`NFT_MSG_NEWSETELEM`), or a local step (`sendmsg`).
    public var operation: String
    /// What it was applied to (`inet trellis_cni masq4 10.1.0.5`).
    public var object: String
    /// The kernel's (or libc's) error number.
    public var errno: Int32
    /// Index of the failing operation in the applied `Batch`, when there is one.
    public var operationIndex: Int?

    public init(_ operation: String, _ object: String, errno: Int32, operationIndex: Int? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.operationIndex = operationIndex
    }

    /// The object does not exist (ENOENT): a delete of something already gone.
    public var isNotFound: Bool { errno == ENOENT }
    /// The object already exists (EEXIST).
    public var isExists: Bool { errno == EEXIST }

    public var description: String {
        "\(operation) \(object): \(String(cString: strerror(errno)))"
    }
}
