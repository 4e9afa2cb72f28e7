#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import NetAddr
import NetNS

/// A BGP speaker: one actively opened session per configured peer (reconnecting while it
/// runs), advertising an export set and reporting what peers announce and withdraw.
///
/// Sockets are created inside `netns` when given (on a dedicated thread that has entered
/// it), then handed to NIO, so the speaker can live in a node namespace of a test lab.
public final class BGPSpeaker: @unchecked Sendable {
    public struct Peer: Hashable, Sendable, CustomStringConvertible {
        public var address: IPAddress
        public var asn: UInt32
        public init(address: IPAddress, asn: UInt32) {
            self.address = address
            self.asn = asn
        }
        public var description: String { "\(address) AS\(asn)" }
    }

    public struct Configuration: Sendable {
        public var localASN: UInt32
        public var routerID: IPv4Address
        public var holdTime: UInt16
        public var peers: [Peer]
        public var port: UInt16
        public var netns: NetNS?
        public var retryInterval: Duration

        public init(localASN: UInt32, routerID: IPv4Address, holdTime: UInt16 = 90, peers: [Peer], port: UInt16 = 179,
                    netns: NetNS? = nil, retryInterval: Duration = .seconds(1)) {
            self.localASN = localASN
            self.routerID = routerID
            self.holdTime = holdTime
            self.peers = peers
            self.port = port
            self.netns = netns
            self.retryInterval = retryInterval
        }
    }

    /// What this speaker advertises: prefixes and the next hop per family.
    public struct Exports: Sendable, Equatable {
        public var prefixes: [IPPrefix]
        public var nextHop4: IPAddress?
        public var nextHop6: IPAddress?
        public init(prefixes: [IPPrefix] = [], nextHop4: IPAddress? = nil, nextHop6: IPAddress? = nil) {
            self.prefixes = prefixes
            self.nextHop4 = nextHop4
            self.nextHop6 = nextHop6
        }
    }

    /// Events reported to the owner (on a NIO thread).
    public enum Event: Sendable {
        case established(Peer)
        case down(Peer, reason: String)
        /// Routes announced (prefix, next hop) and withdrawn by a peer.
        case routes(Peer, announced: [(IPPrefix, IPAddress)], withdrawn: [IPPrefix])
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let onEvent: @Sendable (Event) -> Void
    private let lock = RoutingLock()
    private var _exports = Exports()
    // Keyed by the peer's text: dictionaries keyed by values holding a UInt128 (IPv6Address)
    // crashed in the closure that read them (Swift 6.3, x86_64), so keep such keys out.
    private var sessions: [String: Session] = [:]
    private struct Session {
        let handler: BGPChannelHandler
        let channel: any Channel
    }
    private var running = false
    private let loops = DispatchGroup()

    public init(configuration: Configuration, group: any EventLoopGroup, onEvent: @escaping @Sendable (Event) -> Void) {
        self.configuration = configuration
        self.group = group
        self.onEvent = onEvent
    }

    var exports: Exports { lock.withLock { _exports } }

    /// Replaces the export set; established sessions get the difference at once.
    public func announce(_ exports: Exports) {
        let current = lock.withLock { () -> [Session] in
            _exports = exports
            return Array(sessions.values)
        }
        for s in current {
            let handler = s.handler
            s.channel.eventLoop.execute { handler.advertise(exports) }
        }
    }

    /// Whether the session with `peer` is Established.
    public func isEstablished(_ peer: Peer) -> Bool {
        guard let session = lock.withLock({ sessions[peer.description] }) else { return false }
        let handler = session.handler
        return (try? session.channel.eventLoop.submit { handler.isEstablished }.wait()) ?? false
    }

    /// Starts one connect loop per peer.
    public func start() {
        lock.withLock { running = true }
        for peer in configuration.peers {
            loops.enter()
            let thread = Thread { [self] in
                connectLoop(peer)
                loops.leave()
            }
            thread.start()
        }
    }

    /// Sends Cease on every session, closes them and stops reconnecting.
    public func stop() {
        let current = lock.withLock { () -> [Session] in
            running = false
            return Array(sessions.values)
        }
        for s in current {
            let handler = s.handler
            try? s.channel.eventLoop.submit { handler.stop() }.wait()
            try? s.channel.closeFuture.wait()
        }
        loops.wait()
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func connectLoop(_ peer: Peer) {
        while isRunning {
            if let fd = try? connectSocket(peer) {
                let handler = BGPChannelHandler(peer: peer, configuration: sessionConfiguration(peer), speaker: self)
                let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                if let channel = try? bootstrap.withConnectedSocket(fd).wait() {
                    lock.withLock { sessions[peer.description] = Session(handler: handler, channel: channel) }
                    try? channel.closeFuture.wait()
                    lock.withLock { sessions[peer.description] = nil }
                } else {
                    close(fd)
                }
            }
            // Connect retry: sleep in short steps so stop() is prompt.
            let deadline = ContinuousClock.now + configuration.retryInterval
            while isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        }
    }

    private func sessionConfiguration(_ peer: Peer) -> BGPSessionStateMachine.Configuration {
        .init(localASN: configuration.localASN, routerID: configuration.routerID, peerASN: peer.asn, holdTime: configuration.holdTime)
    }

    // MARK: From the handlers

    func sessionEstablished(_ peer: Peer, open: BGPOpen) { onEvent(.established(peer)) }
    func sessionDown(_ peer: Peer, reason: String) { onEvent(.down(peer, reason: reason)) }
    func received(_ update: BGPUpdate, from peer: Peer) {
        let announced = update.announced, withdrawn = update.allWithdrawn
        if announced.isEmpty && withdrawn.isEmpty { return }  // End-of-RIB, or attributes only
        onEvent(.routes(peer, announced: announced.map { ($0.prefix, $0.nextHop) }, withdrawn: withdrawn))
    }

    // MARK: Sockets

    /// A TCP connection to the peer, made inside `configuration.netns` when set.
    private func connectSocket(_ peer: Peer) throws -> Int32 {
        let port = configuration.port
        let body = { () -> Int32 in Self.connect(peer.address, port: port) }
        let fd = try configuration.netns.map { try $0.withEntered(body) } ?? body()
        guard fd >= 0 else { throw BGPError(.cease, 0, "connect to \(peer) failed") }
        return fd
    }

    /// socket + blocking connect with a 2 s timeout; -1 on failure.
    static func connect(_ address: IPAddress, port: UInt16) -> Int32 {
        let fd = socket(address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc: Int32
        switch address {
        case .v4(let a):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr.s_addr = a.value.bigEndian
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(let a):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sa.sin6_addr) { $0.copyBytes(from: a.bytes) }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        if rc != 0 {
            close(fd)
            return -1
        }
        return fd
    }
}
