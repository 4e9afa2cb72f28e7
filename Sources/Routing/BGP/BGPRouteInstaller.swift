import NetAddr
import Netlink

/// Installs routes learned from BGP peers in the kernel, marked with their own protocol
/// number (`proto 85`, distinct from `trellis routing`'s 84), and withdraws them cleanly: on
/// a WITHDRAW, and all of a peer's routes when its session goes down.
///
/// When several peers announce the same prefix, the first one installed keeps it until it
/// is withdrawn (no best-path selection beyond that). Thread-safe.
public final class BGPRouteInstaller: @unchecked Sendable {
    public static let defaultRouteProtocol: UInt8 = 85

    public let kernel: any RoutingKernel
    public let proto: RouteProtocol
    private let lock = RoutingLock()
    /// prefix -> (peer, next hop) currently installed.
    /// (Keyed by text, as in `BGPSpeaker`.)
    private var installed: [String: (peer: BGPSpeaker.Peer, nextHop: IPAddress)] = [:]
    /// Every prefix each peer currently announces, with its next hop.
    private var announced: [String: [String: IPAddress]] = [:]

    private var peers: [String: BGPSpeaker.Peer] = [:]
    private func peerNamed(_ key: String) -> BGPSpeaker.Peer? { peers[key] }

    public init(kernel: any RoutingKernel, routeProtocol: UInt8 = BGPRouteInstaller.defaultRouteProtocol) {
        self.kernel = kernel
        self.proto = RouteProtocol(rawValue: routeProtocol)
    }

    /// Feeds one speaker event; returns the kernel errors (the table stays consistent).
    @discardableResult
    public func handle(_ event: BGPSpeaker.Event) -> [RoutingError] {
        lock.withLock {
            switch event {
            case .established: return []
            case .down(let peer, _):
                let prefixes = Array((announced[peer.description] ?? [:]).keys).compactMap { IPPrefix($0) }
                announced[peer.description] = nil
                return prefixes.flatMap { reselect($0) }
            case .routes(let peer, let add, let withdrawn):
                peers[peer.description] = peer
                var errors: [RoutingError] = []
                for p in withdrawn {
                    announced[peer.description]?[p.description] = nil
                    errors += reselect(p)
                }
                for (p, hop) in add {
                    announced[peer.description, default: [:]][p.description] = hop
                    errors += reselect(p)
                }
                return errors
            }
        }
    }

    /// The routes installed now, `prefix via hop` sorted (for tests and logs).
    public var table: [String] {
        lock.withLock { installed.map { "\($0.key) via \($0.value.nextHop)" }.sorted() }
    }

    /// Makes the kernel route for `prefix` follow the announcements.
    private func reselect(_ prefix: IPPrefix) -> [RoutingError] {
        let key = prefix.description
        let current = installed[key]
        var choice: (peer: BGPSpeaker.Peer, hop: IPAddress)?
        if let current, let hop = announced[current.peer.description]?[key] { choice = (current.peer, hop) }
        if choice == nil {
            for peerKey in announced.keys.sorted() {
                if let hop = announced[peerKey]?[key], let peer = peerNamed(peerKey) { choice = (peer, hop); break }
            }
        }
        do throws(NetlinkError) {
            if let choice {
                if current?.nextHop != choice.hop || current?.peer != choice.peer {
                    try kernel.routeReplace(Route(destination: prefix, gateway: choice.hop, proto: proto))
                }
                installed[key] = (choice.peer, choice.hop)
            } else if current != nil {
                installed[key] = nil
                do { try kernel.routeDel(Route(destination: prefix, proto: proto)) } catch where error.isNotFound {}
            }
            return []
        } catch {
            return [RoutingError("install BGP route", "\(prefix)", "\(error)")]
        }
    }
}
