import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 server for a daemon's operational endpoints:
/// `GET /metrics` (the registry's exposition), `GET /health` (200 while `healthy()`),
/// `GET /ready` (200 while `ready()`, else 503). Everything else is 404.
public final class HealthServer: Sendable {
    public let registry: MetricsRegistry
    let healthy: @Sendable () -> Bool
    let ready: @Sendable () -> Bool
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel

    /// Binds `host`:`port` (port 0 picks one; see `port`) and starts serving.
    public init(host: String, port: Int, registry: MetricsRegistry,
                healthy: @escaping @Sendable () -> Bool = { true },
                ready: @escaping @Sendable () -> Bool) throws {
        self.registry = registry
        self.healthy = healthy
        self.ready = ready
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let routes = Routes(registry: registry, healthy: healthy, ready: ready)
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in
                    ch.pipeline.configureHTTPServerPipeline().flatMap {
                        ch.pipeline.addHandler(HealthHandler(routes: routes))
                    }
                }
                .bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// The bound port.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Stops listening and ends the event loop.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Answers one request from the routes (pure: path in, status and body out).
struct Routes: Sendable {
    let registry: MetricsRegistry
    let healthy: @Sendable () -> Bool
    let ready: @Sendable () -> Bool

    func respond(method: HTTPMethod, path: String) -> (HTTPResponseStatus, String, String) {
        let plain = "text/plain; charset=utf-8"
        guard method == .GET || method == .HEAD else { return (.methodNotAllowed, plain, "method not allowed\n") }
        switch path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path {
        case "/metrics": return (.ok, MetricsRegistry.contentType, registry.exposition())
        case "/health", "/healthz", "/livez": return healthy() ? (.ok, plain, "OK\n") : (.serviceUnavailable, plain, "unhealthy\n")
        case "/ready", "/readyz": return ready() ? (.ok, plain, "OK\n") : (.serviceUnavailable, plain, "not ready\n")
        default: return (.notFound, plain, "not found\n")
        }
    }
}

final class HealthHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let routes: Routes
    init(routes: Routes) { self.routes = routes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let (status, type, body) = routes.respond(method: head.method, path: head.uri)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let ch = context.channel
            done.whenComplete { _ in ch.close(promise: nil) }
        }
    }
}
