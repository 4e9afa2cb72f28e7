import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Store

/// The Kubernetes REST API over HTTP/1.1 on SwiftNIO, backed by an `ObjectStore`.
///
/// Plain HTTP. Callers authenticate with bearer tokens (a static token file, ServiceAccount token
/// Secrets) and are authorized by RBAC over the Roles and bindings in the store, both kept in
/// memory by `StoreMirror`s.
public final class APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 binds an ephemeral port; `start()` returns the one bound.
        public var port: Int
        public var bookmarkInterval: Duration
        public var eventLoopThreads: Int
        public var access: AccessMode
        /// Serve HTTPS with this certificate chain and key (PEM files); nil serves plain HTTP.
        /// kubectl sends credentials only over TLS.
        public var tls: TLSFiles?
        /// Service cluster IP ranges and the node port range.
        public var services = ServiceAllocator.Configuration()

        public init(host: String = "127.0.0.1", port: Int = 6443, bookmarkInterval: Duration = .seconds(60),
                    eventLoopThreads: Int = System.coreCount, access: AccessMode = .rbac(tokenFile: TokenFile(entries: []))) {
            self.access = access
            self.host = host
            self.port = port
            self.bookmarkInterval = bookmarkInterval
            self.eventLoopThreads = eventLoopThreads
        }
    }

    /// How callers are identified and what they may do.
    /// PEM files of the serving certificate chain and its private key.
    public struct TLSFiles: Sendable, Equatable {
        public var certificateChain: String
        public var privateKey: String
        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public enum AccessMode: Sendable {
        /// Bearer tokens from the token file and from ServiceAccount token Secrets; RBAC.
        case rbac(tokenFile: TokenFile)
        /// NOT SECURE: every request is admitted with every right. For tests that opt in.
        case insecureAdmitAll
    }

    public let configuration: Configuration
    public let pipeline: RequestPipeline
    private let group: MultiThreadedEventLoopGroup
    private let channel = LockedChannel()
    private let connections = ConnectionTracker()
    private let mirrors: [any MirrorControl]

    public init(store: any ObjectStore, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let resources = ResourceHandler(store: store, bookmarkInterval: configuration.bookmarkInterval,
                                        services: ServiceAllocator(configuration.services))
        switch configuration.access {
        case .insecureAdmitAll:
            mirrors = []
            pipeline = RequestPipeline(resources: resources, authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
        case .rbac(let tokenFile):
            let rbac = StoreMirror(store: store, prefixes: RBACSnapshot.prefixes, initial: RBACSnapshot())
            let accounts = StoreMirror(store: store, prefixes: [ServiceAccountTokens.secretsPrefix, ServiceAccountTokens.accountsPrefix],
                                       initial: ServiceAccountTokens())
            let mirrors: [any MirrorControl] = [rbac, accounts]
            self.mirrors = mirrors
            pipeline = RequestPipeline(
                resources: resources,
                authenticator: TokenAuthenticator(tokenFile: tokenFile, serviceAccountTokens: { accounts.state }),
                authorizer: RBACAuthorizer { rbac.state },
                rules: { user, namespace in rbac.state.rules(user: user, namespace: namespace) },
                writeBarrier: .init(
                    covers: { prefix in mirrors.contains { $0.covers(prefix) } },
                    wait: { key in
                        for mirror in mirrors where mirror.covers(key) { await mirror.waitUntilCurrent(key: key, timeout: .seconds(2)) }
                    }))
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
    }

    /// Creates the initial namespaces, binds and starts serving. Returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        try await pipeline.resources.createInitialNamespaces()
        if !mirrors.isEmpty { try await BootstrapPolicy.createMissing(pipeline.resources) }
        for mirror in mirrors { try mirror.start() }
        let pipeline = pipeline
        let connections = connections
        let tlsContext = try configuration.tls.map { files -> NIOSSLContext in
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
            return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPServerHandler(pipeline: pipeline, connections: connections))
                }
            }
        let server = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        channel.set(server)
        return server.localAddress?.port ?? configuration.port
    }

    /// The bound port once started.
    public var port: Int? { channel.get()?.localAddress?.port }

    /// Starts (unless started) and serves until `shutdown()`.
    public func run() async throws {
        if channel.get() == nil { try await start() }
        try await channel.get()?.closeFuture.get()
    }

    /// Stops accepting connections, closes open ones (watches end), waits for the requests in
    /// flight to finish (store writes complete; their answers are lost with the connection), and
    /// stops the event loops. Idempotent.
    public func shutdown() async {
        if let server = channel.get() { try? await server.close() }
        await connections.closeAll()
        try? await group.shutdownGracefully()
        for mirror in mirrors { mirror.stop() }
    }
}

/// The listening channel, set once by `start()`.
private final class LockedChannel: @unchecked Sendable {
    private let lock = NSLock()
    private var channel: (any Channel)?
    func set(_ value: any Channel) { lock.lock(); channel = value; lock.unlock() }
    func get() -> (any Channel)? { lock.lock(); defer { lock.unlock() }; return channel }
}
