#if canImport(Glibc)
import Glibc
#endif
internal import CMnl

extension RTNetlink {
    /// Waits until a route with protocol `proto` or a permanent neighbour/FDB entry is deleted
    /// in the socket's namespace (`RTM_DELROUTE`/`RTM_DELNEIGH` on `RTNLGRP_IPV4_ROUTE`,
    /// `RTNLGRP_IPV6_ROUTE` and `RTNLGRP_NEIGH`), or `timeout` passes.
    ///
    /// Returns true for such a deletion, false at the deadline. Lets a reconciler undo a hand
    /// deletion at once instead of at its next periodic pass. Events from before the call are
    /// not seen: pair it with a periodic full pass.
    public func waitForDeletion(routeProtocol proto: RouteProtocol, timeout: Duration) throws(NetlinkError) -> Bool {
        let groups = [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEIGH].map { UInt32($0.rawValue) }
        do {
            try waitFor("wait deletion", "proto \(proto)", groups: groups, timeout: timeout,
                        current: { () throws(NetlinkError) -> Void? in nil },
                        event: { msg -> Void? in
                            if msg.type == Int32(RTM_DELROUTE), let h = msg.header(rtmsg.self) {
                                return h.rtm_protocol == proto.rawValue ? () : nil
                            }
                            if msg.type == Int32(RTM_DELNEIGH), let h = msg.header(ndmsg.self) {
                                return h.ndm_state & UInt16(NUD_PERMANENT) != 0 ? () : nil
                            }
                            return nil
                        })
            return true
        } catch where error.errno == ETIMEDOUT {
            return false
        }
    }
}
