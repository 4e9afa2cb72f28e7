import NIOCore
import NetAddr

/// One BGP session on a NIO channel: splits the byte stream into messages, feeds the pure
/// `BGPSessionStateMachine`, and performs its actions (writes, timers, close). What to
/// advertise and what to do with received routes belongs to `BGPSpeaker`.
final class BGPChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private var fsm: BGPSessionStateMachine
    private var buffer: [UInt8] = []
    private var holdTimer: Scheduled<Void>?
    private var keepaliveTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Prefixes currently advertised to this peer.
    private var advertised: Set<IPPrefix> = []
    let peer: BGPSpeaker.Peer
    weak var speaker: BGPSpeaker?

    init(peer: BGPSpeaker.Peer, configuration: BGPSessionStateMachine.Configuration, speaker: BGPSpeaker) {
        self.peer = peer
        self.fsm = BGPSessionStateMachine(configuration)
        self.speaker = speaker
    }

    /// Read on the channel's event loop only.
    var isEstablished: Bool { fsm.state == .established }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        perform(fsm.connected(), context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(fsm.connectionClosed(), context)
        holdTimer?.cancel()
        keepaliveTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
        while true {
            do throws(BGPError) {
                guard let length = try BGPMessage.frameLength(buffer), buffer.count >= length else { return }
                let frame = Array(buffer[0..<length])
                buffer.removeFirst(length)
                perform(fsm.received(try BGPMessage.decode(frame, fourOctetAS: fsm.fourOctetAS)), context)
                if fsm.state == .idle { return }
            } catch {
                perform(fsm.decodeFailed(error), context)
                return
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Administrative stop (Cease), on the channel's event loop.
    func stop() {
        guard let context else { return }
        perform(fsm.stop(), context)
    }

    /// Sends what changed in the export set since the last call (Established only).
    func advertise(_ exports: BGPSpeaker.Exports) {
        guard let context, fsm.state == .established, let peerOpen = fsm.peer else { return }
        let families = Set(peerOpen.families.isEmpty ? [.ipv4Unicast] : peerOpen.families)
        let wanted = Set(exports.prefixes.filter { families.contains($0.family == .v4 ? .ipv4Unicast : .ipv6Unicast) })
        let iBGP = peer.asn == fsm.configuration.localASN
        let asPath = iBGP ? [] : [fsm.configuration.localASN]
        var messages: [BGPMessage] = []
        for family in [IPFamily.v4, .v6] {
            let gone = advertised.filter { $0.family == family && !wanted.contains($0) }.sorted()
            if !gone.isEmpty { messages.append(.update(.withdraw(gone))) }
            let new = wanted.filter { $0.family == family && !advertised.contains($0) }.sorted()
            if !new.isEmpty, let hop = family == .v4 ? exports.nextHop4 : exports.nextHop6 {
                messages.append(.update(.announce(new, nextHop: hop, asPath: asPath, localPref: iBGP ? 100 : nil)))
            }
        }
        advertised = wanted
        for m in messages { write(m, context) }
        context.flush()
    }

    private func write(_ message: BGPMessage, _ context: ChannelHandlerContext) {
        let bytes = message.encoded(fourOctetAS: fsm.fourOctetAS)
        context.write(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func perform(_ actions: [BGPSessionStateMachine.Action], _ context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let m):
                write(m, context)
                context.flush()
            case .armHoldTimer(let seconds):
                holdTimer?.cancel()
                holdTimer = seconds.map { s in
                    context.eventLoop.scheduleTask(in: .seconds(Int64(s))) { [weak self] in
                        guard let self, let ctx = self.context else { return }
                        self.perform(self.fsm.holdTimerExpired(), ctx)
                    }
                }
            case .armKeepaliveTimer(let seconds):
                keepaliveTimer?.cancel()
                keepaliveTimer = seconds.map { s in
                    context.eventLoop.scheduleTask(in: .seconds(Int64(s))) { [weak self] in
                        guard let self, let ctx = self.context else { return }
                        self.perform(self.fsm.keepaliveTimerFired(), ctx)
                    }
                }
            case .closeConnection:
                context.close(promise: nil)
            case .established(let open):
                advertised = []
                speaker?.sessionEstablished(peer, open: open)
                if let exports = speaker?.exports { advertise(exports) }
                // End-of-RIB for every family we share (RFC 4724 §2).
                for f in open.families where fsm.configuration.families.contains(f) { write(.update(.endOfRIB(f)), context) }
                context.flush()
            case .update(let u):
                speaker?.received(u, from: peer)
            case .routeRefreshRequested:
                advertised = []
                if let exports = speaker?.exports { advertise(exports) }
            case .down(let reason):
                advertised = []
                speaker?.sessionDown(peer, reason: reason)
            }
        }
    }
}
