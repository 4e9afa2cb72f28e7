/// A store-wide revision: one counter for every write, as etcd has.
public typealias Revision = Int64

/// An object as stored: opaque bytes (JSON) and the revisions that created and last wrote it.
public struct StoredObject: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the last write: the object's `resourceVersion`.
    public var modRevision: Revision
    /// The revision that created the object.
    public var createRevision: Revision

    public init(key: String, value: [UInt8], modRevision: Revision, createRevision: Revision) {
        self.key = key; self.value = value; self.modRevision = modRevision; self.createRevision = createRevision
    }
}

/// One page of a list: every item was read in one snapshot, taken at `revision`.
public struct ListResult: Sendable, Equatable {
    public var items: [StoredObject]
    /// The store's revision at the snapshot.
    public var revision: Revision
    /// Set when more items follow: pass it as `continueAfter` for the next page (it is the
    /// last key of this page). Each page is its own snapshot, at its own `revision`.
    public var continueAfter: String?

    public init(items: [StoredObject], revision: Revision, continueAfter: String?) {
        self.items = items; self.revision = revision; self.continueAfter = continueAfter
    }
}

/// One committed change, as a watch delivers it.
public struct WatchEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    public var kind: Kind
    public var key: String
    /// The object after the change; for `deleted`, the object as it was before the delete.
    public var value: [UInt8]
    /// The object before the change (nil for `added`), for selector-filtered watches.
    public var previousValue: [UInt8]?
    /// The revision of this change.
    public var modRevision: Revision

    public init(kind: Kind, key: String, value: [UInt8], previousValue: [UInt8]?, modRevision: Revision) {
        self.kind = kind; self.key = key; self.value = value
        self.previousValue = previousValue; self.modRevision = modRevision
    }

    public var description: String { "\(modRevision) \(kind.rawValue) \(key)" }
}

/// Kubernetes storage semantics over opaque object bytes, keyed like etcd's registry
/// (see `RegistryKey`). `SQLiteStore` implements it; an etcd backend can later.
///
/// Writes are `async`: they wait for their transaction to be durable. Reads are synchronous
/// and never wait for writes. Every error thrown is a `StoreError`.
public protocol ObjectStore: Sendable {
    /// Creates `key`; throws `.alreadyExists` if it holds an object. Returns the new revision.
    @discardableResult
    func create(key: String, value: [UInt8]) async throws -> Revision
    /// Replaces `key`'s value. Throws `.notFound`, or `.conflict` when `expectedRevision` is
    /// given and is not the object's `modRevision`. Returns the new revision.
    @discardableResult
    func update(key: String, value: [UInt8], expectedRevision: Revision?) async throws -> Revision
    /// Deletes `key` (same preconditions as `update`). Returns the revision and the old value.
    @discardableResult
    func delete(key: String, expectedRevision: Revision?) async throws -> (revision: Revision, previousValue: [UInt8])
    /// The object at `key`, if any.
    func get(key: String) throws -> StoredObject?
    /// Objects whose key starts with `prefix`, sorted by key, at most `limit` (nil: all),
    /// starting after key `continueAfter`.
    func list(prefix: String, limit: Int?, continueAfter: String?) throws -> ListResult
    /// Every change under `prefix` with revision > `fromRevision`, in revision order, then live
    /// changes as they commit. Throws `.expired` (now, or from the stream later) when history
    /// after `fromRevision` was compacted away. The stream ends when the consuming task is
    /// cancelled; it throws `.closed` when the store closes.
    func watch(prefix: String, fromRevision: Revision) throws -> AsyncThrowingStream<WatchEvent, Error>
    /// Drops event history at revisions below `before` (objects stay). Returns the compacted
    /// revision: watches from a revision below it get `.expired`.
    @discardableResult
    func compact(before: Revision) async throws -> Revision
    /// The latest committed revision.
    var currentRevision: Revision { get }
    /// The highest revision whose history has been dropped (0 if none).
    var compactedRevision: Revision { get }
}

/// etcd-style registry keys: `/registry/<resource>/<namespace>/<name>`, or
/// `/registry/<resource>/<name>` for cluster-scoped resources.
public enum RegistryKey {
    /// The key of one object.
    public static func object(resource: String, namespace: String?, name: String) -> String {
        prefix(resource: resource, namespace: namespace) + name
    }

    /// The prefix under which every object of `resource` (in `namespace`, if given) lives.
    public static func prefix(resource: String, namespace: String? = nil) -> String {
        if let namespace { return "/registry/\(resource)/\(namespace)/" }
        return "/registry/\(resource)/"
    }

    /// Whether `key` can be stored: `/`-rooted, printable ASCII without spaces.
    /// (Kubernetes names are DNS labels and subdomains, so this rejects nothing real, and it
    /// lets a prefix's upper bound be computed by bumping its last byte.)
    public static func isValid(_ key: String) -> Bool {
        key.utf8.first == UInt8(ascii: "/") && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }

    /// The smallest string greater than every string starting with `prefix` (prefix is
    /// printable ASCII), for `key >= prefix AND key < upperBound` range scans.
    static func upperBound(ofPrefix prefix: String) -> String {
        guard var last = prefix.utf8.last else { return "\u{7f}" }
        last += 1
        return String(decoding: prefix.utf8.dropLast() + [last], as: UTF8.self)
    }
}
