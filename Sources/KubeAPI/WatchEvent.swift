/// One line of a watch stream: `{"type":"ADDED","object":{...}}`.
///
/// For `ERROR` the object is a `Status`, which lands in `status` instead of `object`.
/// A `BOOKMARK` carries an object of the watched kind with only `metadata.resourceVersion` set.
public struct WatchEvent<Object: KubeObject>: Codable, Sendable, Equatable {
    public typealias EventType = WatchEventType

    public var type: EventType
    public var object: Object?
    public var status: Status?

    public init(type: EventType, object: Object) {
        self.type = type
        self.object = object
    }

    public init(error status: Status) {
        type = .error
        self.status = status
    }

    private enum CodingKeys: String, CodingKey { case type, object }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(EventType.self, forKey: .type)
        if type == .error {
            status = try c.decode(Status.self, forKey: .object)
        } else {
            object = try c.decode(Object.self, forKey: .object)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        if let status { try c.encode(status, forKey: .object) } else { try c.encode(object, forKey: .object) }
    }
}

/// The `type` of a watch event.
public struct WatchEventType: RawRepresentable, Codable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let added = WatchEventType(rawValue: "ADDED")
    public static let modified = WatchEventType(rawValue: "MODIFIED")
    public static let deleted = WatchEventType(rawValue: "DELETED")
    public static let bookmark = WatchEventType(rawValue: "BOOKMARK")
    public static let error = WatchEventType(rawValue: "ERROR")
}
