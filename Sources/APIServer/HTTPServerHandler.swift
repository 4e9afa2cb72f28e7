import KubeAPI
import NIOCore
import NIOHTTP1
import NIOSSL

/// Collects one HTTP request, hands it to the `RequestPipeline` in a Task (store writes are
/// async and must never block the event loop), and writes the response back through the
/// channel's event loop: whole, or chunk by chunk for a watch.
final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pipeline: RequestPipeline
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    /// kube-apiserver's limit on a request body (3 MiB).
    static let maxBodyBytes = 3 * 1024 * 1024
    /// The task serving the current request; cancelled when the connection closes.
    private var task: Task<Void, Never>?

    private let connections: ConnectionTracker

    init(pipeline: RequestPipeline, connections: ConnectionTracker) {
        self.pipeline = pipeline
        self.connections = connections
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            bodyTooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBodyBytes { bodyTooLarge = true; body = [] }
            if !bodyTooLarge { body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        case .end:
            guard let head else { return }
            self.head = nil
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            var request = APIRequest(method: head.method.rawValue, uri: head.uri, headers: headers, body: body)
            request.clientCertificate = clientIdentity(context)
            body = []
            let tooLarge = bodyTooLarge
            let writer = ResponseWriter(context: context, version: head.version, keepAlive: head.isKeepAlive)
            let pipeline = pipeline
            let connections = connections
            connections.requestStarted()
            task = Task {
                let response = tooLarge
                    ? APIResponse.status(Status(code: 413, reason: "RequestEntityTooLarge", message: "the request body is larger than 3 MiB"))
                    : await pipeline.handle(request)
                await writer.send(response)
                connections.requestFinished()
            }
        }
    }

    /// The verified client certificate's identity (read once per connection).
    private var identity: ClientCertificateIdentity??
    private func clientIdentity(_ context: ChannelHandlerContext) -> ClientCertificateIdentity? {
        if let identity { return identity }
        var found: ClientCertificateIdentity?
        if let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
           let certificate = tls.peerCertificate, let der = try? certificate.toDERBytes() {
            found = ClientCertificateIdentity(der: der)
        }
        identity = .some(found)
        return found
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
        context.fireChannelInactive()
    }
}

/// Writes one response from any task: every channel operation hops onto the event loop.
struct ResponseWriter: Sendable {
    private let context: NIOLoopBound<ChannelHandlerContext>
    private let eventLoop: any EventLoop
    private let version: HTTPVersion
    private let keepAlive: Bool

    init(context: ChannelHandlerContext, version: HTTPVersion, keepAlive: Bool) {
        self.context = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.eventLoop = context.eventLoop
        self.version = version
        self.keepAlive = keepAlive
    }

    func send(_ response: APIResponse) async {
        var headers = HTTPHeaders(response.headers)
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
            writeHead(response.status, headers)
            write(bytes)
            end()
        case .stream(let stream):
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            writeHead(response.status, headers)
            // Each chunk waits until the channel took it, so a slow reader slows the stream's
            // consumer down and the stream's bounded buffer decides (see `eventStream`).
            do {
                for try await chunk in stream { try await writeFlushed(chunk) }
            } catch {}
            end()
        }
    }

    private func writeHead(_ status: Int, _ headers: HTTPHeaders) {
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        let context = context
        eventLoop.execute { context.value.writeAndFlush(NIOAny(HTTPServerResponsePart.head(head)), promise: nil) }
    }

    private func write(_ bytes: [UInt8]) {
        let context = context
        eventLoop.execute {
            let buffer = context.value.channel.allocator.buffer(bytes: bytes)
            context.value.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
    }

    private func writeFlushed(_ bytes: [UInt8]) async throws {
        let context = context
        try await eventLoop.flatSubmit {
            let buffer = context.value.channel.allocator.buffer(bytes: bytes)
            return context.value.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))))
        }.get()
    }

    private func end() {
        let context = context
        let keepAlive = keepAlive
        eventLoop.execute {
            let done = context.value.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !keepAlive { done.whenComplete { _ in context.value.close(promise: nil) } }
        }
    }
}
