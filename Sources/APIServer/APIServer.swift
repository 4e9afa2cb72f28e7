import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Store
import NetNS

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
        /// More listeners, each bound inside a network namespace (by path), so that hosts in a
        /// lab of namespaces reach the server without touching the host's network.
        public var namespaceListeners: [NamespaceListener] = []
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

    /// A listener inside a network namespace.
    public struct NamespaceListener: Sendable, Equatable {
        public var netnsPath: String
        public var host: String
        public var port: Int
        public init(netnsPath: String, host: String, port: Int) {
            self.netnsPath = netnsPath
            self.host = host
            self.port = port
        }
    }

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
    private let extraChannels = ChannelList()
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
        for listener in configuration.namespaceListeners {
            let fd = try NamespaceSocket.bound(listener)
            do {
                extraChannels.add(try await bootstrap.withBoundSocket(fd).get())
            } catch {
                close(fd)
                throw error
            }
        }
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
        for extra in extraChannels.all { try? await extra.close() }
        await connections.closeAll()
        try? await group.shutdownGracefully()
        for mirror in mirrors { mirror.stop() }
    }
}

/// Listening channels besides the main one.
private final class ChannelList: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [any Channel] = []
    func add(_ c: any Channel) { lock.lock(); channels.append(c); lock.unlock() }
    var all: [any Channel] { lock.lock(); defer { lock.unlock() }; return channels }
}

/// A TCP socket created and bound inside a network namespace (it stays in that namespace
/// whichever thread uses it later).
enum NamespaceSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func bound(_ listener: APIServer.NamespaceListener) throws -> CInt {
        let netns = try NetNS.open(path: listener.netnsPath)
        return try netns.withEntered { () throws -> CInt in
            var v4 = sockaddr_in()
            var v6 = sockaddr_in6()
            let isV6 = listener.host.contains(":")
            if isV6 {
                v6.sin6_family = sa_family_t(AF_INET6)
                v6.sin6_port = in_port_t(UInt16(listener.port).bigEndian)
                guard inet_pton(AF_INET6, listener.host, &v6.sin6_addr) == 1 else { throw Failure(description: "\(listener.host) is not an address") }
            } else {
                v4.sin_family = sa_family_t(AF_INET)
                v4.sin_port = in_port_t(UInt16(listener.port).bigEndian)
                guard inet_pton(AF_INET, listener.host, &v4.sin_addr) == 1 else { throw Failure(description: "\(listener.host) is not an address") }
            }
            let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket in \(listener.netnsPath): errno \(errno)") }
            var one: CInt = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            let rc = isV6
                ? withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
                : withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard rc == 0 else {
                let error = errno
                close(fd)
                throw Failure(description: "bind \(listener.host):\(listener.port) in \(listener.netnsPath): errno \(error)")
            }
            return fd
        }
    }
}

/// The listening channel, set once by `start()`.
private final class LockedChannel: @unchecked Sendable {
    private let lock = NSLock()
    private var channel: (any Channel)?
    func set(_ value: any Channel) { lock.lock(); channel = value; lock.unlock() }
    func get() -> (any Channel)? { lock.lock(); defer { lock.unlock() }; return channel }
}
