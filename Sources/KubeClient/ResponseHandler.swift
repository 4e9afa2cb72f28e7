import NIOCore
import NIOHTTP1
import NIOTLS

/// Where one response goes: its head to a promise, its body chunks to a stream.
struct ResponseSink: Sendable {
    let head: EventLoopPromise<HTTPResponseHead>
    let body: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    /// Called once on the event loop when the response ended cleanly; `keepAlive` says whether
    /// the connection may carry another request.
    let completed: @Sendable (_ keepAlive: Bool) -> Void
    /// How long the response may take: until its end, or only until its head (a watch).
    var timeout: TimeAmount?
    var timeoutCoversBody = true
}

/// The last handler of a client connection: reports when the connection is ready (its TLS
/// handshake done), hands the parts of the one response in flight to its `ResponseSink`, and
/// fails it if the connection breaks first.
final class ResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// Completed when requests can be sent: at once for plain HTTP, after the handshake for TLS.
    private var ready: EventLoopPromise<Void>?
    private var sink: ResponseSink?
    private var keepAlive = true
    private var sawHead = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(ready: EventLoopPromise<Void>, tls: Bool) {
        if tls { self.ready = ready } else { ready.succeed() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted? = event as? TLSUserEvent {
            ready?.succeed()
            ready = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Starts a response; called on the event loop just before the request is written.
    func start(_ sink: ResponseSink) {
        self.sink = sink
        sawHead = false
        if let timeout = sink.timeout, let context {
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                timer = nil
                fail(.transport("no response within \(timeout.nanoseconds / 1_000_000) ms"))
                AbortHandler.abort(context.channel)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let sink else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            sawHead = true
            if !sink.timeoutCoversBody { cancelTimer() }
            sink.head.succeed(head)
        case .body(let buffer):
            sink.body.yield(buffer)
        case .end:
            self.sink = nil
            cancelTimer()
            sink.body.finish()
            sink.completed(keepAlive)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failReady(KubeClientError.transport("connection closed during the TLS handshake"))
        fail(KubeClientError.transport("connection closed by the server"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failReady(KubeClientError.transport("connection closed during the TLS handshake"))
        fail(KubeClientError.transport("connection closed"))
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failReady(KubeClientError.transport("TLS handshake failed: \(error)"))
        fail(KubeClientError.transport(String(describing: error)))
        context.close(promise: nil)
    }

    private func failReady(_ error: KubeClientError) {
        ready?.fail(error)
        ready = nil
    }

    /// Fails the response in flight, if any.
    func fail(_ error: KubeClientError) {
        guard let sink else { return }
        self.sink = nil
        cancelTimer()
        if !sawHead { sink.head.fail(error) }
        sink.body.finish(throwing: error)
    }
}

/// The first handler of a client connection, so that `abort()` can close the socket without
/// the TLS handler's graceful shutdown, which waits (up to its shutdown timeout) for the peer's
/// close_notify. Used for connections whose reader went away mid-response, and at shutdown.
final class AbortHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Closes the socket at once; call on the event loop.
    func abort() { context?.close(promise: nil) }

    /// Aborts `channel`'s connection from any thread.
    static func abort(_ channel: any Channel) {
        channel.eventLoop.execute {
            if let handler = try? channel.pipeline.syncOperations.handler(type: AbortHandler.self) {
                handler.abort()
            } else {
                channel.close(promise: nil)
            }
        }
    }
}
