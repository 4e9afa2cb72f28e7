import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1

/// A client of one Kubernetes API server: typed REST verbs for every `KubeObject` kind, and
/// watches. Thread-safe; share one per process (informers from one `SharedInformerFactory`
/// share it too). Call `shutdown()` when done.
public final class KubeClient: Sendable {
    public let config: ClientConfig
    let pool: ConnectionPool
    private let tokens: TokenSource
    let counters = Locked(Statistics())

    /// Requests sent so far, for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        public var requests = 0
        /// LIST calls (each page of a paged list counts once).
        public var lists = 0
        public var watches = 0
    }

    public init(config: ClientConfig) throws(KubeClientError) {
        self.config = config
        pool = try ConnectionPool(config: config)
        tokens = TokenSource(token: config.bearerToken, file: config.bearerTokenFile)
    }

    /// Closes every connection; watches in flight end with an error. Idempotent.
    public func shutdown() async { await pool.shutdown() }

    public var statistics: Statistics { counters.current }

    // MARK: Raw requests

    /// Sends one request and returns the body of a 2xx answer; any other status throws
    /// `KubeClientError.api` with the server's `Status` (or one made from the HTTP status).
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
                     contentType: String = "application/json") async throws -> [UInt8] {
        let response = try await open(method, path, query: query, body: body, contentType: contentType,
                                      timeoutCoversBody: true)
        let bytes = try await Self.collect(response.body)
        guard (200..<300).contains(Int(response.head.status.code)) else {
            throw KubeClientError.api(Self.status(code: Int(response.head.status.code), body: bytes))
        }
        return bytes
    }

    /// Sends one request and returns as soon as the head arrives (the body streams).
    func open(_ method: String, _ path: String, query: [(String, String)], body: [UInt8]?,
              contentType: String = "application/json", timeoutCoversBody: Bool) async throws -> HTTPStreamingResponse {
        var headers: [(String, String)] = [("Accept", "application/json"), ("User-Agent", config.userAgent)]
        if body != nil { headers.append(("Content-Type", contentType)) }
        if let token = tokens.token { headers.append(("Authorization", "Bearer \(token)")) }
        let uri = path + Self.encode(query: query)
        counters.withLock {
            $0.requests += 1
            if query.contains(where: { $0.0 == "watch" }) { $0.watches += 1 }
        }
        return try await pool.execute(HTTPRequest(method: HTTPMethod(rawValue: method), uri: uri, headers: headers, body: body,
                                                  timeout: config.requestTimeout, timeoutCoversBody: timeoutCoversBody))
    }

    static func collect(_ body: AsyncThrowingStream<ByteBuffer, any Error>) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body { bytes.append(contentsOf: chunk.readableBytesView) }
        // A cancelled task stops reading early: never mistake a cut body for a whole one.
        try Task.checkCancellation()
        return bytes
    }

    /// The server's `Status` from an error body, or one made from the HTTP status.
    static func status(code: Int, body: [UInt8]) -> Status {
        if var status = try? KubeJSON.decode(Status.self, from: Data(body)), status.kind == "Status" {
            if status.code == nil { status.code = Int32(code) }
            return status
        }
        let reason = HTTPResponseStatus(statusCode: code).reasonPhrase.replacingOccurrences(of: " ", with: "")
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Status(code: Int32(code), reason: reason, message: text.isEmpty ? "HTTP \(code)" : text)
    }

    /// `?a=b&c=d`, percent-encoded; "" for no items.
    static func encode(query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + query.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    func decode<T: JSONFastDecodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        do { return try KubeJSON.decode(T.self, from: Data(bytes)) } catch {
            throw KubeClientError.decoding("\(T.self): \(error)")
        }
    }

    func encode<T: KubeObject>(_ object: T) -> [UInt8] {
        var object = object
        if object.apiVersion == nil || object.kind == nil { object.setTypeMeta() }
        return [UInt8](KubeJSON.encode(object))
    }

    /// The namespace a namespaced request goes to: the given one, the object's, or the config's.
    func namespace<T: KubeObject>(_ type: T.Type, _ namespace: String?) -> String? {
        T.resource.namespaced ? (namespace ?? config.namespace) : nil
    }
}
