import Foundation
import KubeAPI

/// What a handler answers: a status, headers and either a whole body or a stream of chunks
/// (a watch), which the channel handler sends with chunked transfer encoding.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Each element is written and flushed as it arrives; the response ends with the stream.
        case stream(AsyncThrowingStream<[UInt8], Error>)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON document with `Content-Type: application/json`.
    public static func json(_ status: Int, _ bytes: [UInt8]) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(bytes))
    }

    public static func json(_ status: Int, _ value: JSONValue) -> APIResponse {
        json(status, Array(KubeJSON.encode(value)))
    }

    /// A `Status` failure, with the HTTP status taken from its `code`.
    public static func status(_ status: Status) -> APIResponse {
        json(Int(status.code ?? 500), Array(KubeJSON.encode(status)))
    }

    /// The body's bytes when it is not a stream (for tests).
    public var bodyBytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }

    /// The body decoded as JSON (for tests).
    public var bodyJSON: JSONValue? {
        bodyBytes.flatMap { try? KubeJSON.decode(JSONValue.self, from: Data($0)) }
    }
}
