import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file only its owner may read (mode 0600), for credentials: the token file and kubeconfigs.
public enum PrivateFile {
    /// Writes `text` to a new file created with mode 0600 next to `path`, syncs it and renames it
    /// over `path`, so that the secret is never readable by others, not even briefly.
    public static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(operation: "open", path: temporary, errno: errno) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd); unlink(temporary)
                throw PrivateFileError(operation: "write", path: temporary, errno: code)
            }
            bytes = bytes.dropFirst(written)
        }
        let synced = fsync(fd) == 0 ? 0 : errno
        close(fd)
        guard synced == 0 else { unlink(temporary); throw PrivateFileError(operation: "fsync", path: temporary, errno: synced) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw PrivateFileError(operation: "rename", path: path, errno: code)
        }
    }
}

public struct PrivateFileError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}
