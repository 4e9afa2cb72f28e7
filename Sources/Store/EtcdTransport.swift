import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// etcd's v3 API through its JSON gateway (`POST /v3/kv/range`, `/v3/kv/txn`, `/v3/watch`, …)
/// over HTTP/1.1 on SwiftNIO. Calls go to the first member that answers and stay there until it
/// fails; idle connections are kept for reuse.
final class EtcdTransport: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let endpoints: [(host: String, port: Int)]
    private let group: MultiThreadedEventLoopGroup
    private let preferred = Mutex(0)
    private let idle = Mutex<[Int: [Channel]]>([:])
    /// Set before the event loops stop: a call after that fails at once instead of handing work
    /// to a stopped loop, which would drop it and leave its caller waiting forever.
    private let closed = Mutex(false)

    /// `endpoints`: `http://host:port` or `host:port` each.
    init(endpoints: [String]) throws(Failure) {
        var parsed: [(String, Int)] = []
        for endpoint in endpoints {
            var text = endpoint
            if text.hasPrefix("http://") { text.removeFirst(7) }
            if text.hasPrefix("https://") { throw Failure(description: "etcd endpoint \(endpoint): TLS to etcd is not supported yet; use http://") }
            while text.hasSuffix("/") { text.removeLast() }
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                throw Failure(description: "etcd endpoint \"\(endpoint)\" is not http://HOST:PORT")
            }
            parsed.append((String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port))
        }
        guard !parsed.isEmpty else { throw Failure(description: "no etcd endpoints given") }
        self.endpoints = parsed
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    func shutdown() {
        let already = closed.withLock { c -> Bool in defer { c = true }; return c }
        if already { return }
        let channels = idle.withLock { state -> [Channel] in
            defer { state = [:] }
            return state.values.flatMap { $0 }
        }
        for c in channels { c.close(promise: nil) }
        try? group.syncShutdownGracefully()
    }

    /// One unary call: the response's JSON object. Tries every member once, starting with the
    /// one that answered last; an error response from etcd (HTTP status ≥ 400) is not retried.
    func call(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        if closed.withLock({ $0 }) { throw Failure(description: "the etcd store is closed") }
        let payload = try JSONSerialization.data(withJSONObject: body)
        var lastError: Error = Failure(description: "no etcd member answered")
        let start = preferred.withLock { $0 }
        for attempt in 0..<endpoints.count {
            let index = (start + attempt) % endpoints.count
            do {
                let (status, data) = try await exchange(index, path, payload)
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw Failure(description: "etcd \(path): response is not a JSON object")
                }
                if status >= 400 {
                    let message = object["message"] as? String ?? object["error"] as? String ?? "HTTP \(status)"
                    throw EtcdResponseError(status: status, message: message)
                }
                preferred.withLock { $0 = index }
                return object
            } catch let error as EtcdResponseError {
                // "etcdserver: leader changed" / "no leader": another member may serve it.
                if error.message.contains("leader") || error.message.contains("timed out") || error.message.contains("unavailable") {
                    lastError = error
                    continue
                }
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func exchange(_ index: Int, _ path: String, _ payload: Data) async throws -> (Int, Data) {
        if closed.withLock({ $0 }) { throw Failure(description: "the etcd store is closed") }
        let channel: Channel
        if let reused = idle.withLock({ $0[index]?.popLast() }), reused.isActive {
            channel = reused
        } else {
            channel = try await connect(index)
        }
        let handler = try await channel.pipeline.handler(type: UnaryResponseHandler.self).get()
        let promise = channel.eventLoop.makePromise(of: (Int, Data).self)
        let (host, port) = endpoints[index]
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(payload.count))
        channel.eventLoop.execute {
            handler.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: payload))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).cascadeFailure(to: promise)
        }
        do {
            let result = try await promise.futureResult.get()
            idle.withLock { $0[index, default: []].append(channel) }
            return result
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private func connect(_ index: Int) async throws -> Channel {
        let (host, port) = endpoints[index]
        return try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UnaryResponseHandler())
                }
            }
            .connect(host: host, port: port).get()
    }

    /// A streaming call (`/v3/watch`): each JSON object (one per line) the member sends, until the connection
    /// ends. Uses the member that answered last.
    func stream(_ path: String, _ body: [String: Any]) -> AsyncThrowingStream<Data, Error> {
        let index = preferred.withLock { $0 }
        let (host, port) = endpoints[index]
        let group = self.group
        let isClosed = closed.withLock { $0 }
        return AsyncThrowingStream { continuation in
            if isClosed {
                continuation.finish(throwing: Failure(description: "the etcd store is closed"))
                return
            }
            let payload: Data
            do { payload = try JSONSerialization.data(withJSONObject: body) } catch {
                continuation.finish(throwing: error)
                return
            }
            let handler = StreamResponseHandler(continuation)
            let connected = ClientBootstrap(group: group)
                .connectTimeout(.seconds(2))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port)
            connected.whenFailure { continuation.finish(throwing: $0) }
            connected.whenSuccess { channel in
                var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
                head.headers.add(name: "Host", value: "\(host):\(port)")
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(payload.count))
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: payload))), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                continuation.onTermination = { _ in channel.close(promise: nil) }
            }
        }
    }

    /// Moves later calls to the next member (after a stream from the current one failed).
    func rotate() { preferred.withLock { $0 = ($0 + 1) % endpoints.count } }
}

struct EtcdResponseError: Error, CustomStringConvertible {
    var status: Int
    var message: String
    var description: String { "etcd: \(message) (HTTP \(status))" }
}

/// Collects one response at a time on a kept-alive connection.
private final class UnaryResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private var promise: EventLoopPromise<(Int, Data)>?
    private var status = 0
    private var body = Data()

    func expect(_ promise: EventLoopPromise<(Int, Data)>) {
        self.promise = promise
        status = 0
        body = Data()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var buffer): body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            promise?.succeed((status, body))
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(EtcdTransport.Failure(description: "etcd closed the connection"))
        promise = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }
}

/// Splits a streamed response into its newline-separated JSON objects.
private final class StreamResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let continuation: AsyncThrowingStream<Data, Error>.Continuation
    private var pending = Data()
    private var status = 0

    init(_ continuation: AsyncThrowingStream<Data, Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var buffer):
            pending.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { continue }
                continuation.yield(Data(line))
            }
        case .end:
            continuation.finish(throwing: EtcdTransport.Failure(description: "etcd ended the stream (HTTP \(status))"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: EtcdTransport.Failure(description: "etcd closed the stream"))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
