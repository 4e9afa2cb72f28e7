import NetAddr

/// The BGP finite state machine of one session (RFC 4271 §8), as a pure value: each input
/// returns the actions the caller performs (send, arm a timer, close, report). The TCP part
/// (Idle/Connect/Active, connect retry) belongs to the caller, which calls `connected()` once
/// a connection is up.
public struct BGPSessionStateMachine: Sendable {
    public enum State: String, Sendable { case idle, openSent, openConfirm, established }

    public struct Configuration: Sendable, Equatable {
        public var localASN: UInt32
        public var routerID: IPv4Address
        /// The AS the peer must have (its OPEN is refused with 2/2 otherwise).
        public var peerASN: UInt32
        /// Proposed hold time in seconds (0: no keepalives; else at least 3).
        public var holdTime: UInt16
        public var families: [BGPFamily]

        public init(localASN: UInt32, routerID: IPv4Address, peerASN: UInt32, holdTime: UInt16 = 90,
                    families: [BGPFamily] = [.ipv4Unicast, .ipv6Unicast]) {
            self.localASN = localASN
            self.routerID = routerID
            self.peerASN = peerASN
            self.holdTime = holdTime
            self.families = families
        }
    }

    public enum Action: Equatable, Sendable {
        case send(BGPMessage)
        /// (Re)arm the hold timer; nil: no hold timer (negotiated hold time 0).
        case armHoldTimer(seconds: UInt16?)
        /// (Re)arm the keepalive timer; nil: none.
        case armKeepaliveTimer(seconds: UInt16?)
        case closeConnection
        /// The session is up; `peer` is the OPEN received.
        case established(peer: BGPOpen)
        /// Routes received in Established.
        case update(BGPUpdate)
        case routeRefreshRequested(BGPFamily)
        /// The session went down (from Established or before) for this reason.
        case down(String)
    }

    public private(set) var state: State = .idle
    public let configuration: Configuration
    /// Negotiated on OPEN: the hold time and whether both sides speak 4-octet AS numbers.
    public private(set) var holdTime: UInt16 = 0
    public private(set) var fourOctetAS = true
    public private(set) var peer: BGPOpen?

    /// RFC 4271 suggests a large hold time (4 minutes) until OPEN is received.
    static let openHoldTime: UInt16 = 240

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Our OPEN: 4-octet AS, route refresh and every configured family.
    public var open: BGPOpen {
        BGPOpen(asn: configuration.localASN, holdTime: configuration.holdTime, identifier: configuration.routerID,
                capabilities: configuration.families.map { .multiprotocol($0) } + [.routeRefresh, .fourOctetAS(configuration.localASN)])
    }

    /// The TCP connection is up: send OPEN and wait for the peer's.
    public mutating func connected() -> [Action] {
        guard state == .idle else { return [] }
        state = .openSent
        return [.send(.open(open)), .armHoldTimer(seconds: Self.openHoldTime)]
    }

    public mutating func received(_ message: BGPMessage) -> [Action] {
        switch (state, message) {
        case (_, .notification(let n)):
            return down("peer sent \(n)", notify: nil)
        case (.openSent, .open(let o)):
            return receivedOpen(o)
        case (.openConfirm, .keepalive):
            state = .established
            return [.armHoldTimer(seconds: holdTime == 0 ? nil : holdTime), .established(peer: peer!)]
        case (.established, .keepalive):
            return [.armHoldTimer(seconds: holdTime == 0 ? nil : holdTime)]
        case (.established, .update(let u)):
            return [.armHoldTimer(seconds: holdTime == 0 ? nil : holdTime), .update(u)]
        case (.established, .routeRefresh(let f)):
            return [.routeRefreshRequested(f)]
        default:
            // RFC 6608 subcodes: 1 in OpenSent, 2 in OpenConfirm, 3 in Established.
            let subcode: UInt8 = switch state { case .openSent: 1; case .openConfirm: 2; default: 3 }
            return down("unexpected message type \(message.type) in \(state)", notify: BGPNotification(code: 5, subcode: subcode))
        }
    }

    private mutating func receivedOpen(_ o: BGPOpen) -> [Action] {
        guard o.effectiveASN == configuration.peerASN else {
            return down("peer AS \(o.effectiveASN), expected \(configuration.peerASN)", notify: BGPNotification(code: 2, subcode: 2))
        }
        guard o.identifier != configuration.routerID || configuration.peerASN != configuration.localASN else {
            return down("peer has our BGP identifier \(o.identifier)", notify: BGPNotification(code: 2, subcode: 3))
        }
        peer = o
        fourOctetAS = o.supportsFourOctetAS
        holdTime = min(configuration.holdTime, o.holdTime)
        state = .openConfirm
        let keepalive: UInt16? = holdTime == 0 ? nil : max(1, holdTime / 3)
        return [.send(.keepalive), .armHoldTimer(seconds: holdTime == 0 ? nil : holdTime), .armKeepaliveTimer(seconds: keepalive)]
    }

    public mutating func keepaliveTimerFired() -> [Action] {
        guard state == .openConfirm || state == .established, holdTime > 0 else { return [] }
        return [.send(.keepalive), .armKeepaliveTimer(seconds: max(1, holdTime / 3))]
    }

    public mutating func holdTimerExpired() -> [Action] {
        guard state != .idle else { return [] }
        return down("hold timer expired", notify: .holdTimerExpired)
    }

    /// A message that could not be decoded: send its NOTIFICATION and drop the session.
    public mutating func decodeFailed(_ error: BGPError) -> [Action] {
        down("\(error)", notify: error.notification)
    }

    /// The connection closed under us.
    public mutating func connectionClosed() -> [Action] {
        guard state != .idle else { return [] }
        return down("connection closed", notify: nil)
    }

    /// Administrative stop: Cease.
    public mutating func stop() -> [Action] {
        guard state != .idle else { return [] }
        return down("stopped", notify: .cease)
    }

    private mutating func down(_ reason: String, notify: BGPNotification?) -> [Action] {
        state = .idle
        peer = nil
        var actions: [Action] = []
        if let notify { actions.append(.send(.notification(notify))) }
        return actions + [.armHoldTimer(seconds: nil), .armKeepaliveTimer(seconds: nil), .closeConnection, .down(reason)]
    }
}
