#if canImport(Glibc)
import Glibc
#endif
internal import CMnl

extension RTNetlink {
    /// Turns hairpin mode of a bridge port on or off (an `AF_BRIDGE` `RTM_SETLINK` with
    /// `IFLA_PROTINFO`/`IFLA_BRPORT_MODE`). Equivalent to `bridge link set dev PORT hairpin on`.
    public func linkSetHairpin(index: Int, _ on: Bool) throws(NetlinkError) {
        try execute("RTM_SETLINK", { "#\(index) hairpin \(on ? "on" : "off")" }, type: Int32(RTM_SETLINK)) { m in
            m.header(ifinfomsg(index: index, family: AF_BRIDGE))
            // br_setlink reads an IFLA_PROTINFO without NLA_F_NESTED as the old one-byte
            // port state; the nest (always flagged by libmnl) carries IFLA_BRPORT_* instead.
            m.nest(IFLA_PROTINFO) {
                m.put(IFLA_BRPORT_MODE, UInt8(on ? 1 : 0))
            }
        }
    }

    /// Adds VLAN `vid` to a bridge port; `pvid` makes it the port's native VLAN and
    /// `untagged` strips the tag on egress.
    /// Equivalent to `bridge vlan add vid VID dev PORT pvid untagged`.
    public func bridgeVlanAdd(index: Int, vid: UInt16, pvid: Bool = false, untagged: Bool = false) throws(NetlinkError) {
        try bridgeVlan(type: Int32(RTM_SETLINK), "RTM_SETLINK", index: index, vid: vid, pvid: pvid, untagged: untagged)
    }

    /// Removes VLAN `vid` from a bridge port. Equivalent to `bridge vlan del vid VID dev PORT`.
    public func bridgeVlanDel(index: Int, vid: UInt16) throws(NetlinkError) {
        try bridgeVlan(type: Int32(RTM_DELLINK), "RTM_DELLINK", index: index, vid: vid, pvid: false, untagged: false)
    }

    private func bridgeVlan(type: Int32, _ operation: String, index: Int, vid: UInt16,
                            pvid: Bool, untagged: Bool) throws(NetlinkError) {
        try execute(operation, { "#\(index) vid \(vid)" }, type: type) { m in
            m.header(ifinfomsg(index: index, family: AF_BRIDGE))
            m.nest(IFLA_AF_SPEC) {
                var flags: UInt16 = 0
                if pvid { flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
                if untagged { flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
                let info = bridge_vlan_info(flags: flags, vid: vid)
                withUnsafeBytes(of: info) { m.put(IFLA_BRIDGE_VLAN_INFO, raw: $0) }
            }
        }
    }
}
