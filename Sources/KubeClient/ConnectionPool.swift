import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP request as the pool sends it.
struct HTTPRequest: Sendable {
    var method: HTTPMethod
    /// Path and query, already encoded.
    var uri: String
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// Fails the request when no (whole) response arrived in time.
    var timeout: Duration?
    /// Whether `timeout` runs to the end of the body, or only to the head (for a watch).
    var timeoutCoversBody = true
}

/// A response whose head has arrived; the body streams in chunks.
struct HTTPStreamingResponse: Sendable {
    var head: HTTPResponseHead
    var body: AsyncThrowingStream<ByteBuffer, any Error>
}

/// HTTP/1.1 keep-alive connections to one server, over TLS when the URL is https.
///
/// A request takes an idle connection or opens one; when its response ends cleanly on a
/// keep-alive connection, the connection goes back to the idle list. A response whose reader
/// stops early (a cancelled watch) closes its connection.
final class ConnectionPool: Sendable {
    private let endpoint: ServerEndpoint
    private let group: MultiThreadedEventLoopGroup
    private let tls: NIOSSLContext?
    private let sniName: String?
    private let maxIdle: Int
    private let state = Locked(State())

    private struct State {
        var idle: [any Channel] = []
        var all: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    init(config: ClientConfig) throws(KubeClientError) {
        endpoint = try config.endpoint()
        maxIdle = config.maxIdleConnections
        if endpoint.tls {
            do {
                tls = try NIOSSLContext(configuration: try Self.tlsConfiguration(config))
            } catch let error as KubeClientError {
                throw error
            } catch {
                throw .config("TLS configuration: \(error)")
            }
            let name = config.tlsServerName ?? endpoint.host
            sniName = Self.isIPAddress(name) ? nil : name
        } else {
            tls = nil
            sniName = nil
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    static func tlsConfiguration(_ config: ClientConfig) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        if config.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let ca = config.certificateAuthority {
            let certificates = try NIOSSLCertificate.fromPEMBytes(ca)
            guard !certificates.isEmpty else { throw KubeClientError.config("certificate-authority holds no certificate") }
            tls.trustRoots = .certificates(certificates)
        }
        if let cert = config.clientCertificate, let key = config.clientKey {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
        }
        return tls
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Sends `request` and returns once the response head has arrived.
    ///
    /// A request that fails before any answer on a reused connection (the server closed it while
    /// idle) is sent once more on a fresh one.
    func execute(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let (channel, reused) = try await acquire()
        do {
            return try await send(request, on: channel)
        } catch KubeClientError.transport(let message)
                    where reused && (message.hasPrefix("connection closed") || message.hasPrefix("write failed")) {
            let (fresh, _) = try await acquire(allowIdle: false)
            return try await send(request, on: fresh)
        }
    }

    private func send(_ request: HTTPRequest, on channel: any Channel) async throws -> HTTPStreamingResponse {
        let head = channel.eventLoop.makePromise(of: HTTPResponseHead.self)
        let (body, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let completedCleanly = Locked(false)
        var sink = ResponseSink(head: head, body: continuation, completed: { [weak self] keepAlive in
            completedCleanly.withLock { $0 = true }
            self?.release(channel, reusable: keepAlive)
        })
        if let timeout = request.timeout {
            let (seconds, attoseconds) = timeout.components
            sink.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            sink.timeoutCoversBody = request.timeoutCoversBody
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination, !completedCleanly.current { AbortHandler.abort(channel) }
        }
        var headers = HTTPHeaders(request.headers)
        headers.replaceOrAdd(name: "Host", value: endpoint.hostHeader)
        if let payload = request.body { headers.replaceOrAdd(name: "Content-Length", value: String(payload.count)) }
        var requestHead = HTTPRequestHead(version: .http1_1, method: request.method, uri: endpoint.pathPrefix + request.uri)
        requestHead.headers = headers
        let payload = request.body
        let started = sink
        let submitted = channel.eventLoop.submit {
            let handler = try channel.pipeline.syncOperations.handler(type: ResponseHandler.self)
            handler.start(started)
            channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
            if let payload {
                var buffer = channel.allocator.buffer(capacity: payload.count)
                buffer.writeBytes(payload)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            }
            let written = channel.eventLoop.makePromise(of: Void.self)
            let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
            written.futureResult.whenFailure { error in
                // A failed TLS handshake fails the writes before it reports itself: give its
                // (more telling) error one turn of the loop to arrive first.
                channel.eventLoop.execute { bound.value.fail(.transport("write failed: \(error)")) }
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: written)
        }
        do {
            try await submitted.get()
        } catch {
            // The connection went away before the request could start: nothing else will
            // complete the promise.
            let failure = KubeClientError.transport("connection closed before the request was sent: \(error)")
            head.fail(failure)
            continuation.finish(throwing: failure)
            throw failure
        }
        do {
            return HTTPStreamingResponse(head: try await head.futureResult.get(), body: body)
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw KubeClientError.transport(String(describing: error))
        }
    }

    /// An idle connection or a new one; `reused` tells which.
    private func acquire(allowIdle: Bool = true) async throws -> (any Channel, reused: Bool) {
        let idle: (any Channel)? = try state.withLock { s in
            if s.closed { throw KubeClientError.shutdown }
            while allowIdle, let channel = s.idle.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
        if let idle { return (idle, true) }
        return (try await connect(), false)
    }

    private func connect() async throws -> any Channel {
        let tls = tls, sniName = sniName
        let ready = group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // A server that vanished without closing (a partition, a dead node) is noticed
            // within about a minute, also on an idle watch.
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPIDLE)), value: 30)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPINTVL)), value: 10)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPCNT)), value: 3)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AbortHandler())
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: sniName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(ready: ready, tls: tls != nil))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            ready.fail(error)
            throw KubeClientError.transport("connect to \(endpoint.hostHeader): \(error)")
        }
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw error as? KubeClientError ?? KubeClientError.transport("\(endpoint.hostHeader): \(error)")
        }
        let id = ObjectIdentifier(channel)
        let accepted = state.withLock { s -> Bool in
            if s.closed { return false }
            s.all[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            throw KubeClientError.shutdown
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { s in
                s.all[id] = nil
                s.idle.removeAll { ObjectIdentifier($0) == id }
            }
        }
        return channel
    }

    private func release(_ channel: any Channel, reusable: Bool) {
        let keep = reusable && channel.isActive && state.withLock { s -> Bool in
            guard !s.closed, s.idle.count < maxIdle else { return false }
            s.idle.append(channel)
            return true
        }
        if !keep { channel.close(promise: nil) }
    }

    /// Closes every connection (streams in flight fail) and stops the event loop. Idempotent.
    func shutdown() async {
        let channels = state.withLock { s -> [any Channel] in
            s.closed = true
            s.idle = []
            return Array(s.all.values)
        }
        for channel in channels { AbortHandler.abort(channel) }
        for channel in channels { try? await channel.closeFuture.get() }
        try? await group.shutdownGracefully()
    }
}
